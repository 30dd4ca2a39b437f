using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// <c>ggml_vec_dot_q8_0_q8_0</c> and <c>ggml_vec_dot_q4_0_q8_0</c> as llama.cpp's AVX library (AVX, FMA and F16C, no
/// AVX2) computes them for a single token (docs/ggml-cpu-numerics-facts.md §6): while two blocks remain, one 8-lane FMA
/// for the pair, <c>acc = fma(d, p, acc)</c> with the low half for block ib (d = d_x·d_y, int lane t = Σ of bytes
/// 4t..4t+3 of its first 16 quants plus bytes 4t..4t+3 of its last 16) and the high half for block ib+1, then
/// <c>hsum_float_8</c>; an odd last block adds its integer sum in one scalar FMA, <c>fma(sumi, d_y·d_x, sumf)</c> for
/// Q8_0 and <c>fma(sumi·d_x, d_y, sumf)</c> for Q4_0. Batches take tinyBLAS there, which sums as <see cref="Row"/> does.
/// </summary>
public static partial class Q8_0Dot
{
    /// <summary>The single-token vec_dot of the AVX library for <paramref name="type"/> (Q8_0 or Q4_0), each row against <paramref name="y"/>.</summary>
    public static void RowsAvxPairs(GgmlType type, ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = 0; r < results.Length; r++)
        {
            var row = rows.Slice(r * rowBytes, rowBytes);
            results[r] = UseAvx2 ? RowAvxPairsVector(type, row, y.Quants, y.Scales) : RowScalarAvxPairs(type, row, y.Quants, y.Scales);
        }
    }

    /// <summary>The reference: the pair loop one lane at a time, then the odd block.</summary>
    public static float RowScalarAvxPairs(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        Span<sbyte> qx = stackalloc sbyte[QK];
        var blockBytes = GgmlTypeInfo.Get(type).TypeSize;
        var nb = scales.Length;
        var ib = 0;
        for (; ib + 1 < nb; ib += 2)
        {
            for (var half = 0; half < 2; half++)
            {
                var block = ib + half;
                var d = Unpack(type, weights.Slice(block * blockBytes, blockBytes), qx) * scales[block];
                var qy = quants.Slice(block * QK, QK);
                for (var t = 0; t < 4; t++)
                {
                    var lane = 0;
                    for (var b = 4 * t; b < (4 * t) + 4; b++)
                    {
                        lane += (qx[b] * qy[b]) + (qx[b + 16] * qy[b + 16]);
                    }

                    acc[(4 * half) + t] = MathF.FusedMultiplyAdd(d, lane, acc[(4 * half) + t]);
                }
            }
        }

        var sumf = HorizontalSum(acc);
        return ib < nb ? OddBlock(type, weights.Slice(ib * blockBytes, blockBytes), quants.Slice(ib * QK, QK), scales[ib], sumf) : sumf;
    }

    /// <summary>The vector kernel (needs AVX2 and FMA): the reference's integer lanes and FMAs, a pair of blocks at a time.</summary>
    public static unsafe float RowAvxPairsVector(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (float* ys = scales)
        {
            var nb = scales.Length;
            var pairs = nb & ~1;
            var sumf = type == GgmlType.Q8_0 ? PairsAvx2<Q8_0Block>(w, y, ys, pairs) : PairsAvx2<Q4_0Block>(w, y, ys, pairs);
            if (pairs == nb)
            {
                return sumf;
            }

            var blockBytes = GgmlTypeInfo.Get(type).TypeSize;
            return OddBlock(type, weights.Slice(pairs * blockBytes, blockBytes), quants.Slice(pairs * QK, QK), scales[pairs], sumf);
        }
    }

    private static unsafe float PairsAvx2<TBlock>(byte* w, sbyte* y, float* ys, int pairs)
        where TBlock : struct, IQ8_0WeightBlock
    {
        var acc = Vector256<float>.Zero;
        for (var ib = 0; ib < pairs; ib += 2)
        {
            var b0 = w + (ib * TBlock.Bytes);
            var b1 = b0 + TBlock.Bytes;
            var low = HalvesAdded(TBlock.Quants(b0), Avx.LoadVector256(y + (ib * QK)));
            var high = HalvesAdded(TBlock.Quants(b1), Avx.LoadVector256(y + ((ib + 1) * QK)));
            var d = Vector256.Create(Vector128.Create(HalfTable.Get(b0) * ys[ib]), Vector128.Create(HalfTable.Get(b1) * ys[ib + 1]));
            acc = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(Vector256.Create(low, high)), acc);
        }

        return HorizontalSum(acc);
    }

    /// <summary>One block's four AVX lanes: lane t = Σ of products 4t..4t+3 plus Σ of products 16+4t..16+4t+3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> HalvesAdded(Vector256<sbyte> qx, Vector256<sbyte> qy)
    {
        var products = Avx2.MultiplyAddAdjacent(Avx2.Abs(qx), Avx2.Sign(qy, qx));
        var lanes = Avx2.MultiplyAddAdjacent(products, Vector256.Create((short)1));
        return lanes.GetLower() + lanes.GetUpper();
    }

    /// <summary>The scalar loop for a last block without a partner, added to <paramref name="sumf"/> in one FMA.</summary>
    private static float OddBlock(GgmlType type, ReadOnlySpan<byte> block, ReadOnlySpan<sbyte> qy, float dy, float sumf)
    {
        Span<sbyte> qx = stackalloc sbyte[QK];
        var dx = Unpack(type, block, qx);
        var sumi = 0;
        for (var j = 0; j < QK; j++)
        {
            sumi += qx[j] * qy[j];
        }

        return type == GgmlType.Q8_0
            ? MathF.FusedMultiplyAdd(sumi, dy * dx, sumf)
            : MathF.FusedMultiplyAdd(sumi * dx, dy, sumf);
    }
}
