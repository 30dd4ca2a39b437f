using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's <c>ggml_vec_dot_q4_K_q8_K</c> as its x86 AVX2 path computes it: per 256-element super-block an exact int32
/// lane sum (lane t: scale × Σ of bytes 4t..4t+3 of each 32-element run of low or high nibbles times q8), then
/// <c>acc = fma(d_y·d_x, sumi, acc)</c>; the mins go to a 4-lane accumulator,
/// <c>acc_m = fma(-d_y·dmin_x, prod, acc_m)</c> with prod lane u = min[2u]·q8s[2u] + min[2u+1]·q8s[2u+1] and q8s[m] the
/// 32-element sums. Result <c>((m0+m2)+(m1+m3)) + hsum_float_8(acc)</c>.
/// </summary>
public static class Q4KDot
{
    private const int QKK = 256;

    public static bool UseAvx2 { get; set; } = Avx2.IsSupported && Fma.IsSupported;

    public static float Row(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums) =>
        UseAvx2 ? RowAvx2(weights, quants, scales, bsums) : RowScalar(weights, quants, scales, bsums);

    public static float RowScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        Span<float> acc = stackalloc float[8];
        Span<float> accM = stackalloc float[4];
        acc.Clear();
        accM.Clear();
        Span<int> sumi = stackalloc int[8];
        Span<byte> sc = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        for (var i = 0; i < scales.Length; i++)
        {
            var block = weights.Slice(i * 144, 144);
            var d = scales[i] * HalfTable.Get(block, 0);
            var dmin = -scales[i] * HalfTable.Get(block, 2);
            KQuantScales.ScalesAndMins(block.Slice(4, 12), sc, mins);
            var bs = bsums.Slice(i * 16, 16);
            for (var u = 0; u < 4; u++)
            {
                var prod = (mins[2 * u] * (bs[4 * u] + bs[(4 * u) + 1])) + (mins[(2 * u) + 1] * (bs[(4 * u) + 2] + bs[(4 * u) + 3]));
                accM[u] = MathF.FusedMultiplyAdd(dmin, prod, accM[u]);
            }

            sumi.Clear();
            var q8 = quants.Slice(i * QKK, QKK);
            for (var j = 0; j < 4; j++)
            {
                var q4 = block.Slice(16 + (32 * j), 32);
                for (var t = 0; t < 8; t++)
                {
                    int lo = 0, hi = 0;
                    for (var b = 4 * t; b < (4 * t) + 4; b++)
                    {
                        lo += (q4[b] & 0xF) * q8[(64 * j) + b];
                        hi += (q4[b] >> 4) * q8[(64 * j) + 32 + b];
                    }

                    sumi[t] += (sc[2 * j] * lo) + (sc[(2 * j) + 1] * hi);
                }
            }

            for (var t = 0; t < 8; t++)
            {
                acc[t] = MathF.FusedMultiplyAdd(d, sumi[t], acc[t]);
            }
        }

        return ((accM[0] + accM[2]) + (accM[1] + accM[3])) + Q8_0Dot.HorizontalSum(acc);
    }

    private static unsafe float RowAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        var acc = Vector256<float>.Zero;
        var accM = Vector128<float>.Zero;
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (short* bsp = bsums)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 144);
                var (sc, mins) = KQuantScales.Packed(block);
                var dmin = -scales[i] * HalfTable.Get(block + 2);
                accM = Fma.MultiplyAdd(Vector128.Create(dmin), Sse2.ConvertToVector128Single(KQuantScales.MinTerms(mins, bsp + (i * 16))), accM);
                var d = scales[i] * HalfTable.Get(block);
                acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(Sums(block, y + (i * QKK), sc)), acc);
            }
        }

        return ((accM[0] + accM[2]) + (accM[1] + accM[3])) + Q8_0Dot.HorizontalSum(acc);
    }

    /// <summary>The super-block's integer lane sums: Σ over its 4 pairs of 32-element runs of scale × (nibble · q8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe Vector256<int> Sums(byte* block, sbyte* q8, ulong sc)
    {
        var low = Vector256.Create((byte)0x0F);
        var sumi = Vector256<int>.Zero;
        for (var j = 0; j < 4; j++)
        {
            var q4 = Avx.LoadVector256(block + 16 + (32 * j));
            var pl = Avx2.MultiplyAddAdjacent(q4 & low, Avx.LoadVector256(q8 + (64 * j)));
            var ph = Avx2.MultiplyAddAdjacent(Vector256.ShiftRightLogical(q4.AsUInt16(), 4).AsByte() & low, Avx.LoadVector256(q8 + (64 * j) + 32));
            sumi += Avx2.MultiplyAddAdjacent(pl, Vector256.Create((short)(byte)(sc >> (16 * j))));
            sumi += Avx2.MultiplyAddAdjacent(ph, Vector256.Create((short)(byte)(sc >> ((16 * j) + 8))));
        }

        return sumi;
    }
}
