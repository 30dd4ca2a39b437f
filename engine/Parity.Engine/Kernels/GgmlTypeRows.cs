using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// The rows of <see cref="GgmlTypeTable.Default"/>: ggml's <c>type_traits</c> and <c>type_traits_cpu</c> entries for
/// the types the engine reads, with the engine's kernels for one library variant (the float dots are the variant's;
/// the block dots are the same in the AVX-512 and AVX2 builds, the AVX build differs in four, the noavx build runs
/// ggml's generic code for all). Tile slots are filled only where this machine runs them.
/// </summary>
internal static unsafe class GgmlTypeRows
{
    public static IEnumerable<GgmlTypeTraits> All(VariantKernels variant)
    {
        // repack.cpp on x86: Q4_0 and Q4_K are repacked by builds with AVX2 (the AVX-512 one too), Q2_K only by the AVX-512 build.
        var avx2 = variant.Variant is GgmlVariant.Avx512 or GgmlVariant.Avx2;
        var avx512 = variant.Variant == GgmlVariant.Avx512;
        var rows = Rows(variant, avx2 ? Q4_0Repacked : null, avx2 ? Q4_KRepacked : null, avx512 ? Q2_KRepacked : null);
        return variant.Variant switch
        {
            GgmlVariant.Avx => rows.Select(AvxRow),
            GgmlVariant.NoAvx => rows.Select(GenericRow),
            _ => rows,
        };
    }

    /// <summary>
    /// The AVX library's row (no AVX2: its block dots work on 128-bit halves): single-token Q8_0 and Q4_0 dots two
    /// blocks per FMA (its batches take tinyBLAS, which sums as the AVX2 build's dot), Q2_K and Q3_K in other lanes; the
    /// other block dots sum as the AVX2 build's.
    /// </summary>
    private static GgmlTypeTraits AvxRow(GgmlTypeTraits row) => row.Type switch
    {
        GgmlType.Q8_0 => row with { VecDotOneToken = static (rows, rowBytes, y, results) => Q8_0Dot.RowsAvxPairs(GgmlType.Q8_0, rows, rowBytes, y, results) },
        GgmlType.Q4_0 => row with { VecDotOneToken = static (rows, rowBytes, y, results) => Q8_0Dot.RowsAvxPairs(GgmlType.Q4_0, rows, rowBytes, y, results) },
        GgmlType.Q2_K => row with { VecDot = Q2KDot.RowsAvx, Tile = null },
        GgmlType.Q3_K => row with { VecDot = Q3KDot.RowsAvx, Tile = null },
        GgmlType.IQ4_NL => row with { VecDot = null, VecDotOneToken = null },
        _ => row,
    };

    /// <summary>
    /// The noavx library's row: every block dot ggml's generic one (<see cref="GenericDot"/>), for batches too (it has no
    /// tinyBLAS), and Q8_0/Q8_1 activations from ggml's reference quantizers.
    /// </summary>
    private static GgmlTypeTraits GenericRow(GgmlTypeTraits row)
    {
        var type = row.Type;
        if (type == GgmlType.IQ4_NL)
        {
            return row with { VecDot = null, VecDotOneToken = null };
        }

        if (row.VecDot is not null)
        {
            row = row with { VecDot = (rows, rowBytes, y, results) => GenericDot.Rows(type, rows, rowBytes, y, results), Tile = null };
        }

        // VariantKernels.NoAvx.QuantizesByReference: the noavx library's from_float for Q8_0 and Q8_1 is ggml's reference.
        return type switch
        {
            GgmlType.Q8_0 => row with
            {
                FromFloat = static () => new Q8_0Activations(reference: true),
                QuantizeRow = static (x, blocks) => Q8_0RowQuantizer.Quantize(x, blocks, reference: true),
            },
            GgmlType.Q8_1 => row with { FromFloat = static () => new Q8_1Activations(reference: true) },
            _ => row,
        };
    }

    private static readonly RepackedKernel Q4_0Repacked = new("q4_0_8x8_q8_0", 8, RepackedDot.RowsQ4_0, RepackedDot.RowsQ4_0, static () => new Q8_0SumActivations())
    {
        GroupGemv = RepackedDot.GemvQ4_0, GroupGemm = RepackedDot.GemmQ4_0,
    };

    private static readonly RepackedKernel Q4_KRepacked = new("q4_K_8x8_q8_K", 8, RepackedDot.RowsQ4_K, RepackedDot.GemmRowsQ4_K, static () => new Q8_KActivations(fourRowTiles: true))
    {
        GroupGemv = RepackedDot.GemvQ4_K, GroupGemm = RepackedDot.GemmQ4_K,
    };

    private static readonly RepackedKernel Q2_KRepacked = new("q2_K_8x8_q8_K", 8, RepackedDot.RowsQ2_K, RepackedDot.GemmRowsQ2_K, static () => new Q8_KActivations(fourRowTiles: true));

    private static IEnumerable<GgmlTypeTraits> Rows(VariantKernels variant, RepackedKernel? q4_0, RepackedKernel? q4_K, RepackedKernel? q2_K) =>
    [
        // Float types: products widen the row and use ggml's float vec_dot after rounding x to the vec_dot_type.
        new(GgmlType.F32) { ToFloat = Dequantize.F32, VecDotType = GgmlType.F32, FloatDot = variant.DotF32 },
        new(GgmlType.F16)
        {
            ToFloat = Dequantize.F16, ToFloatVector = Dequantize.F16Vector, VecDotType = GgmlType.F16,
            FloatDot = variant.DotF16, Round = HalfRounding.Round,
        },
        new(GgmlType.BF16)
        {
            ToFloat = Dequantize.BF16, ToFloatVector = Dequantize.BF16Vector256, VecDotType = GgmlType.BF16,
            FloatDot = variant.DotBf16, Round = ActivationRounding.Bf16,
        },

        // Legacy quants: integer block dots against Q8_0 (or, with a min, Q8_1) activations.
        new(GgmlType.Q4_0)
        {
            ToFloat = Dequantize.Q4_0, ToFloatVector = Dequantize.Q4_0Vector256, VecDotType = GgmlType.Q8_0,
            VecDot = static (rows, rowBytes, y, results) => Q8_0Dot.Rows(GgmlType.Q4_0, rows, rowBytes, y, results),
            Tile = Q8_0Dot.TileSupported ? Q8_0Dot.TileQ4_0 : null, Repacked = q4_0, QuantizeRow = Q4_0RowQuantizer.Quantize,
        },
        new(GgmlType.Q4_1)
        {
            ToFloat = Dequantize.Q4_1, ToFloatVector = Dequantize.Q4_1Vector256, VecDotType = GgmlType.Q8_1,
            VecDot = static (rows, rowBytes, y, results) => Q8_1Dot.Rows(GgmlType.Q4_1, rows, rowBytes, y, results),
            QuantizeRow = LegacyRowQuantizer.Q4_1,
        },
        new(GgmlType.Q5_0)
        {
            ToFloat = Dequantize.Q5_0, ToFloatVector = Dequantize.Q5_0Vector256, VecDotType = GgmlType.Q8_0,
            VecDot = static (rows, rowBytes, y, results) => Q8_0Dot.Rows(GgmlType.Q5_0, rows, rowBytes, y, results),
            Tile = Q8_0Dot.TileSupported ? Q8_0Dot.TileQ5_0 : null, QuantizeRow = LegacyRowQuantizer.Q5_0,
        },
        new(GgmlType.Q5_1)
        {
            ToFloat = Dequantize.Q5_1, ToFloatVector = Dequantize.Q5_1Vector256, VecDotType = GgmlType.Q8_1,
            VecDot = static (rows, rowBytes, y, results) => Q8_1Dot.Rows(GgmlType.Q5_1, rows, rowBytes, y, results),
            QuantizeRow = LegacyRowQuantizer.Q5_1,
        },
        new(GgmlType.Q8_0)
        {
            ToFloat = Dequantize.Q8_0, ToFloatVector = Dequantize.Q8_0Vector256, VecDotType = GgmlType.Q8_0,
            VecDot = static (rows, rowBytes, y, results) => Q8_0Dot.Rows(GgmlType.Q8_0, rows, rowBytes, y, results),
            Tile = Q8_0Dot.TileSupported ? Q8_0Dot.TileQ8_0 : null,
            Round = ActivationRounding.Q8Blocks, FromFloat = static () => new Q8_0Activations(),
            QuantizeRow = static (x, blocks) => Q8_0RowQuantizer.Quantize(x, blocks),
        },
        // IQ4_NL, as a KV cache only: tinyBLAS sums a batch in one accumulator, vec_dot in two (even and odd blocks).
        new(GgmlType.IQ4_NL)
        {
            ToFloat = Iq4Nl.Dequantize, VecDotType = GgmlType.Q8_0, VecDot = Iq4Nl.Rows, VecDotOneToken = Iq4Nl.RowsOneToken,
            QuantizeRow = Iq4Nl.QuantizeRow, CacheOnly = true,
        },
        new(GgmlType.Q8_1) { Round = ActivationRounding.Q8Blocks, FromFloat = static () => new Q8_1Activations() },

        // K-quants: super-blocks of 256 against Q8_K activations.
        new(GgmlType.Q2_K)
        {
            ToFloat = Dequantize.Q2_K, ToFloatVector = Dequantize.Q2_KVector256, VecDotType = GgmlType.Q8_K, VecDot = Q2KDot.Rows,
            Repacked = q2_K,
        },
        new(GgmlType.Q3_K)
        {
            ToFloat = Dequantize.Q3_K, ToFloatVector = Dequantize.Q3_KVector256, VecDotType = GgmlType.Q8_K, VecDot = Q3KDot.Rows,
        },
        new(GgmlType.Q4_K)
        {
            ToFloat = Dequantize.Q4_K, ToFloatVector = Dequantize.Q4_KVector256, VecDotType = GgmlType.Q8_K, VecDot = Q4KDot.Rows,
            Tile = Q4KDot.UseAvx2 ? Q4KDot.Tile : null, Repacked = q4_K,
        },
        new(GgmlType.Q5_K)
        {
            ToFloat = Dequantize.Q5_K, ToFloatVector = Dequantize.Q5_KVector256, VecDotType = GgmlType.Q8_K, VecDot = Q5KDot.Rows,
        },
        new(GgmlType.Q6_K)
        {
            ToFloat = Dequantize.Q6_K, ToFloatVector = Dequantize.Q6_KVector256, VecDotType = GgmlType.Q8_K, VecDot = Q6KDot.Rows,
            Tile = Q6KDot.UseAvx2 ? Q6KDot.Tile : null,
        },
        new(GgmlType.Q8_K) { Round = ActivationRounding.Q8K, FromFloat = static () => new Q8_KActivations() },
    ];
}
