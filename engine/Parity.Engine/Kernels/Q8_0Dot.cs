using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's <c>ggml_vec_dot_{q4_0,q5_0,q8_0}_q8_0</c> as its x86 AVX2 path computes it (docs/ggml-cpu-numerics-facts.md
/// §4): per 32-element block, eight exact integer lane sums (lane t = Σ of elements 4t..4t+3 of qx·qy), then
/// <c>acc[t] = fma(d_x·d_y, lane_t, acc[t])</c>, and at the end <c>((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7))</c>.
/// The scalar reference and the AVX2 kernel perform the same float operations, so every machine gets the same bits,
/// and so does llama.cpp (its batch path, tinyBLAS, computes the same for these types).
/// </summary>
public static partial class Q8_0Dot
{
    private const int QK = 32;

    /// <summary>Whether <see cref="Row"/> runs <see cref="RowAvx2"/> on this machine (else <see cref="RowScalar"/>).</summary>
    public static readonly bool UseAvx2 = Avx2.IsSupported && Fma.IsSupported;

    /// <summary>One weight row (blocks of <paramref name="type"/>) against one activation row in Q8_0 blocks.</summary>
    public static float Row(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales) =>
        UseAvx2 ? RowAvx2(type, weights, quants, scales) : RowScalar(type, weights, quants, scales);

    /// <summary>The table's vec_dot for <paramref name="type"/>: each of <paramref name="results"/>.Length rows (<paramref name="rowBytes"/> apart) against <paramref name="y"/>.</summary>
    public static unsafe void Rows(GgmlType type, ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        if (!UseAvx2)
        {
            for (var r = 0; r < results.Length; r++)
            {
                results[r] = RowScalar(type, rows.Slice(r * rowBytes, rowBytes), y.Quants, y.Scales);
            }

            return;
        }

        // The block layout is chosen and the activations pinned once for all rows: per row, the dispatch and pinning
        // cost a measurable share of a 2048-column Q4_0 row.
        fixed (byte* w = rows)
        fixed (sbyte* q = y.Quants)
        fixed (float* ys = y.Scales)
        {
            var blocks = y.Scales.Length;
            switch (type)
            {
                case GgmlType.Q8_0:
                    RowsAvx2<Q8_0Block>(w, rowBytes, q, ys, blocks, results);
                    break;
                case GgmlType.Q4_0:
                    RowsAvx2<Q4_0Block>(w, rowBytes, q, ys, blocks, results);
                    break;
                default:
                    RowsAvx2<Q5_0Block>(w, rowBytes, q, ys, blocks, results);
                    break;
            }
        }
    }

    private static unsafe void RowsAvx2<TBlock>(byte* weights, int rowBytes, sbyte* y, float* ys, int blocks, Span<float> results)
        where TBlock : struct, IQ8_0WeightBlock
    {
        for (var r = 0; r < results.Length; r++)
        {
            results[r] = RowAvx2<TBlock>(weights + ((long)r * rowBytes), y, ys, blocks);
        }
    }

    /// <summary><see cref="RowAvx2(GgmlType, ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{float})"/> for one block layout, on pinned rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float RowAvx2<TBlock>(byte* w, sbyte* y, float* ys, int blocks)
        where TBlock : struct, IQ8_0WeightBlock
    {
        var acc = Vector256<float>.Zero;
        for (var ib = 0; ib < blocks; ib++)
        {
            var block = w + (ib * TBlock.Bytes);
            if (TBlock.Streamed)
            {
                StreamPrefetch.Ahead(block, TBlock.Bytes);
            }

            acc = Accumulate(acc, TBlock.Quants(block), Avx.LoadVector256(y + (ib * QK)), HalfTable.Get(block) * ys[ib]);
        }

        return HorizontalSum(acc);
    }

    /// <summary>The reference: the same integer lane sums and float operations, one lane at a time.</summary>
    public static float RowScalar(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        Span<sbyte> qx = stackalloc sbyte[QK];
        var blockBytes = GgmlTypeInfo.Get(type).TypeSize;
        for (var ib = 0; ib < scales.Length; ib++)
        {
            var dx = Unpack(type, weights.Slice(ib * blockBytes, blockBytes), qx);
            var d = dx * scales[ib];
            var qy = quants.Slice(ib * QK, QK);
            for (var t = 0; t < 8; t++)
            {
                var lane = 0;
                for (var b = 4 * t; b < (4 * t) + 4; b++)
                {
                    lane += qx[b] * qy[b];
                }

                acc[t] = MathF.FusedMultiplyAdd(d, lane, acc[t]);
            }
        }

        return HorizontalSum(acc);
    }

    /// <summary>ggml's <c>hsum_float_8</c> order, for an AVX2 accumulator.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(Vector256<float> a) =>
        ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));

    /// <summary>ggml's <c>hsum_float_8</c> order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(ReadOnlySpan<float> a) =>
        ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));

    /// <summary>The AVX2 kernel (needs AVX2 and FMA): <see cref="RowScalar"/>'s operations, eight lanes at a time.</summary>
    public static unsafe float RowAvx2(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (float* ys = scales)
        {
            return type switch
            {
                GgmlType.Q8_0 => RowAvx2<Q8_0Block>(w, y, ys, scales.Length),
                GgmlType.Q4_0 => RowAvx2<Q4_0Block>(w, y, ys, scales.Length),
                _ => RowAvx2<Q5_0Block>(w, y, ys, scales.Length),
            };
        }
    }

    /// <summary>ggml's <c>mul_sum_i8_pairs_float</c> and FMA: |x| times y with x's sign, pairs to int16, pairs to int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<float> acc, Vector256<sbyte> qx, Vector256<sbyte> qy, float d)
    {
        var products = Avx2.MultiplyAddAdjacent(Avx2.Abs(qx), Avx2.Sign(qy, qx));
        var lanes = Avx2.MultiplyAddAdjacent(products, Vector256.Create((short)1));
        return Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);
    }

    /// <summary>The block's 32 signed quants as ggml's kernel sees them, and its scale.</summary>
    private static float Unpack(GgmlType type, ReadOnlySpan<byte> block, Span<sbyte> qx)
    {
        switch (type)
        {
            case GgmlType.Q8_0:
                MemoryMarshal.Cast<byte, sbyte>(block.Slice(2, 32)).CopyTo(qx);
                break;
            case GgmlType.Q4_0:
                for (var j = 0; j < 16; j++)
                {
                    qx[j] = (sbyte)((block[2 + j] & 0x0F) - 8);
                    qx[j + 16] = (sbyte)((block[2 + j] >> 4) - 8);
                }

                break;
            default:
                var qh = BinaryPrimitives.ReadUInt32LittleEndian(block[2..]);
                for (var j = 0; j < 16; j++)
                {
                    qx[j] = (sbyte)(((block[6 + j] & 0x0F) | (int)(((qh >> j) << 4) & 0x10)) - 16);
                    qx[j + 16] = (sbyte)(((block[6 + j] >> 4) | (int)((qh >> (j + 12)) & 0x10)) - 16);
                }

                break;
        }

        return HalfTable.Get(block, 0);
    }
}
