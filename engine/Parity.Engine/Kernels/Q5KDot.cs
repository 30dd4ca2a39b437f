using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's <c>ggml_vec_dot_q5_K_q8_K</c> as its x86 AVX2 path computes it: the Q4_K lane sums with the fifth bit
/// (qh bit 2j for the low nibbles of group j, 2j+1 for the high ones) added as 16, <c>acc = fma(d, sumi, acc)</c>
/// per super-block, and the mins as a scalar <c>summs = fma(-d_y·dmin_x, Σ_u prod_u, summs)</c> in block order.
/// Result <c>hsum_float_8(acc) + summs</c>.
/// </summary>
public static class Q5KDot
{
    private const int QKK = 256;

    /// <summary>Whether <see cref="Row"/> runs <see cref="RowAvx2"/> on this machine (else <see cref="RowScalar"/>).</summary>
    public static readonly bool UseAvx2 = Avx2.IsSupported && Fma.IsSupported;

    public static float Row(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums) =>
        UseAvx2 ? RowAvx2(weights, quants, scales, bsums) : RowScalar(weights, quants, scales, bsums);

    /// <summary>The table's vec_dot: each of <paramref name="results"/>.Length rows (<paramref name="rowBytes"/> apart) against <paramref name="y"/>.</summary>
    public static void Rows(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = 0; r < results.Length; r++)
        {
            results[r] = Row(rows.Slice(r * rowBytes, rowBytes), y.Quants, y.Scales, y.BlockSums);
        }
    }

    public static float RowScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        var summs = 0f;
        Span<int> sumi = stackalloc int[8];
        Span<byte> sc = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        for (var i = 0; i < scales.Length; i++)
        {
            var block = weights.Slice(i * 176, 176);
            var d = scales[i] * HalfTable.Get(block, 0);
            var dmin = -scales[i] * HalfTable.Get(block, 2);
            KQuantScales.ScalesAndMins(block.Slice(4, 12), sc, mins);
            summs = MathF.FusedMultiplyAdd(dmin, MinsProduct(mins, bsums.Slice(i * 16, 16)), summs);
            var qh = block.Slice(16, 32);
            var q8 = quants.Slice(i * QKK, QKK);
            sumi.Clear();
            for (var j = 0; j < 4; j++)
            {
                var ql = block.Slice(48 + (32 * j), 32);
                for (var t = 0; t < 8; t++)
                {
                    int lo = 0, hi = 0;
                    for (var b = 4 * t; b < (4 * t) + 4; b++)
                    {
                        lo += ((ql[b] & 0xF) + (((qh[b] >> (2 * j)) & 1) << 4)) * q8[(64 * j) + b];
                        hi += ((ql[b] >> 4) + (((qh[b] >> ((2 * j) + 1)) & 1) << 4)) * q8[(64 * j) + 32 + b];
                    }

                    sumi[t] += (sc[2 * j] * lo) + (sc[(2 * j) + 1] * hi);
                }
            }

            for (var t = 0; t < 8; t++)
            {
                acc[t] = MathF.FusedMultiplyAdd(d, sumi[t], acc[t]);
            }
        }

        return Q8_0Dot.HorizontalSum(acc) + summs;
    }

    /// <summary>The AVX2 kernel (needs AVX2 and FMA): <see cref="RowScalar"/>'s float operations, eight lanes at a time.</summary>
    public static unsafe float RowAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        var acc = Vector256<float>.Zero;
        var summs = 0f;
        var low = Vector256.Create((byte)0x0F);
        var one = Vector256.Create((byte)1);
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (short* bsp = bsums)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 176);
                var d = scales[i] * HalfTable.Get(block);
                var dmin = -scales[i] * HalfTable.Get(block + 2);
                var (sc, mins) = KQuantScales.Packed(block);
                var minTerms = KQuantScales.MinTerms(mins, bsp + (i * 16));
                summs = MathF.FusedMultiplyAdd(dmin, minTerms[0] + minTerms[1] + minTerms[2] + minTerms[3], summs);
                var qh = Avx.LoadVector256(block + 16);
                var q8 = y + (i * QKK);
                var sumi = Vector256<int>.Zero;
                for (var j = 0; j < 4; j++)
                {
                    var q5 = Avx.LoadVector256(block + 48 + (32 * j));
                    var hl = Vector256.ShiftLeft(Vector256.ShiftRightLogical(qh.AsUInt16(), 2 * j).AsByte() & one, 4);
                    var hh = Vector256.ShiftLeft(Vector256.ShiftRightLogical(qh.AsUInt16(), (2 * j) + 1).AsByte() & one, 4);
                    var pl = Avx2.MultiplyAddAdjacent((q5 & low) | hl, Avx.LoadVector256(q8 + (64 * j)));
                    var ph = Avx2.MultiplyAddAdjacent((Vector256.ShiftRightLogical(q5.AsUInt16(), 4).AsByte() & low) | hh, Avx.LoadVector256(q8 + (64 * j) + 32));
                    sumi += Avx2.MultiplyAddAdjacent(pl, Vector256.Create((short)(byte)(sc >> (16 * j))));
                    sumi += Avx2.MultiplyAddAdjacent(ph, Vector256.Create((short)(byte)(sc >> ((16 * j) + 8))));
                }

                acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
            }
        }

        return Q8_0Dot.HorizontalSum(acc) + summs;
    }

    /// <summary>Σ_u (min[2u]·q8s[2u] + min[2u+1]·q8s[2u+1]) with q8s[m] the 32-element sums: exact in int.</summary>
    private static int MinsProduct(ReadOnlySpan<byte> mins, ReadOnlySpan<short> bs)
    {
        var total = 0;
        for (var m = 0; m < 8; m++)
        {
            total += mins[m] * (bs[2 * m] + bs[(2 * m) + 1]);
        }

        return total;
    }
}
