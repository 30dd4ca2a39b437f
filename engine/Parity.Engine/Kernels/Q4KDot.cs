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

    /// <summary>The AVX2 kernel (needs AVX2 and FMA): <see cref="RowScalar"/>'s float operations, eight lanes at a time.</summary>
    public static unsafe float RowAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
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
                StreamPrefetch.Ahead(block, 144);
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

        // The eight scales as int16 in both lanes; scale s is then one byte shuffle away (ggml's get_scale_shuffle_k4).
        var scales = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(sc).AsByte()).AsByte();
        var both = Vector256.Create(scales, scales);
        // Written out per run pair: a loop here is not unrolled, and the shuffles would stop being constants.
        return Run(block + 16, q8, low, both, Shuffle0, Shuffle1)
            + Run(block + 48, q8 + 64, low, both, Shuffle2, Shuffle3)
            + Run(block + 80, q8 + 128, low, both, Shuffle4, Shuffle5)
            + Run(block + 112, q8 + 192, low, both, Shuffle6, Shuffle7);
    }

    /// <summary>
    /// <see cref="Sums"/> kept per 64 values: <paramref name="steps"/>[j] holds the lane sums of run pair j (sub-blocks
    /// 2j and 2j + 1, each times its scale), as the repacked GEMM accumulates them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Steps(byte* block, sbyte* q8, ulong sc, Vector256<int>* steps)
    {
        var low = Vector256.Create((byte)0x0F);
        var scales = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(sc).AsByte()).AsByte();
        var both = Vector256.Create(scales, scales);
        steps[0] = Run(block + 16, q8, low, both, Shuffle0, Shuffle1);
        steps[1] = Run(block + 48, q8 + 64, low, both, Shuffle2, Shuffle3);
        steps[2] = Run(block + 80, q8 + 128, low, both, Shuffle4, Shuffle5);
        steps[3] = Run(block + 112, q8 + 192, low, both, Shuffle6, Shuffle7);
    }

    /// <summary>32 bytes of nibbles: low nibbles against 32 q8, high nibbles against the next 32, each times its scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Run(byte* q4p, sbyte* q8, Vector256<byte> low, Vector256<byte> scales, Vector256<byte> lowScale, Vector256<byte> highScale)
    {
        var q4 = Avx.LoadVector256(q4p);
        var pl = Avx2.MultiplyAddAdjacent(q4 & low, Avx.LoadVector256(q8));
        var ph = Avx2.MultiplyAddAdjacent(Vector256.ShiftRightLogical(q4.AsUInt16(), 4).AsByte() & low, Avx.LoadVector256(q8 + 32));
        return Avx2.MultiplyAddAdjacent(pl, Avx2.Shuffle(scales, lowScale).AsInt16()) + Avx2.MultiplyAddAdjacent(ph, Avx2.Shuffle(scales, highScale).AsInt16());
    }

    private static readonly Vector256<byte> Shuffle0 = MakeShuffle(0);
    private static readonly Vector256<byte> Shuffle1 = MakeShuffle(1);
    private static readonly Vector256<byte> Shuffle2 = MakeShuffle(2);
    private static readonly Vector256<byte> Shuffle3 = MakeShuffle(3);
    private static readonly Vector256<byte> Shuffle4 = MakeShuffle(4);
    private static readonly Vector256<byte> Shuffle5 = MakeShuffle(5);
    private static readonly Vector256<byte> Shuffle6 = MakeShuffle(6);
    private static readonly Vector256<byte> Shuffle7 = MakeShuffle(7);

    /// <summary>The byte shuffle that broadcasts int16 element <paramref name="s"/> of each lane over the lane.</summary>
    private static Vector256<byte> MakeShuffle(int s)
    {
        var bytes = new byte[32];
        for (var i = 0; i < 32; i++)
        {
            bytes[i] = (byte)((2 * s) + (i & 1));
        }

        return Vector256.Create(bytes);
    }

    /// <summary>
    /// Rows <paramref name="row0"/> and <paramref name="row1"/> against the 4 activation rows starting at
    /// <paramref name="q8"/> (Q8_K: <paramref name="cols"/> quants, cols/256 scales and cols/16 block sums apart);
    /// writes <c>results[2·token + row]</c>. Each pair gets <see cref="Row"/>'s bits: its own accumulators and
    /// float operations in the same order; only the weight unpacking and the activation loads are shared.
    /// </summary>
    public static unsafe void Tile(byte* row0, byte* row1, sbyte* q8, float* ys, short* bsums, int cols, Span<float> results)
    {
        var blocks = cols / QKK;
        var bsStride = cols / 16;

        // The min terms first, in their own pass: their accumulators would not fit in registers beside the sums'.
        Vector128<float> m00 = default, m01 = default, m02 = default, m03 = default;
        Vector128<float> m10 = default, m11 = default, m12 = default, m13 = default;
        for (var i = 0; i < blocks; i++)
        {
            var b0 = row0 + (i * 144);
            var b1 = row1 + (i * 144);
            var mins0 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(KQuantScales.Packed(b0).Mins).AsByte());
            var mins1 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(KQuantScales.Packed(b1).Mins).AsByte());
            var dm0 = HalfTable.Get(b0 + 2);
            var dm1 = HalfTable.Get(b1 + 2);
            var bs = bsums + (i * 16);
            var y = ys + i;
            (m00, m10) = MinStep(m00, m10, mins0, mins1, dm0, dm1, bs, y[0]);
            (m01, m11) = MinStep(m01, m11, mins0, mins1, dm0, dm1, bs + bsStride, y[blocks]);
            (m02, m12) = MinStep(m02, m12, mins0, mins1, dm0, dm1, bs + (2 * bsStride), y[2 * blocks]);
            (m03, m13) = MinStep(m03, m13, mins0, mins1, dm0, dm1, bs + (3 * bsStride), y[3 * blocks]);
        }

        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        var low = Vector256.Create((byte)0x0F);
        for (var i = 0; i < blocks; i++)
        {
            var b0 = row0 + (i * 144);
            var b1 = row1 + (i * 144);
            var sc0 = KQuantScales.Packed(b0).Scales;
            var sc1 = KQuantScales.Packed(b1).Scales;
            Vector256<int> s00 = default, s01 = default, s02 = default, s03 = default;
            Vector256<int> s10 = default, s11 = default, s12 = default, s13 = default;
            var y = q8 + (i * QKK);
            for (var j = 0; j < 4; j++)
            {
                var q0 = Avx.LoadVector256(b0 + 16 + (32 * j));
                var q1 = Avx.LoadVector256(b1 + 16 + (32 * j));
                var lo0 = q0 & low;
                var hi0 = Vector256.ShiftRightLogical(q0.AsUInt16(), 4).AsByte() & low;
                var lo1 = q1 & low;
                var hi1 = Vector256.ShiftRightLogical(q1.AsUInt16(), 4).AsByte() & low;
                var sl0 = Vector256.Create((short)(byte)(sc0 >> (16 * j)));
                var sh0 = Vector256.Create((short)(byte)(sc0 >> ((16 * j) + 8)));
                var sl1 = Vector256.Create((short)(byte)(sc1 >> (16 * j)));
                var sh1 = Vector256.Create((short)(byte)(sc1 >> ((16 * j) + 8)));
                var yj = y + (64 * j);
                (s00, s10) = SumStep(s00, s10, lo0, hi0, sl0, sh0, lo1, hi1, sl1, sh1, yj);
                (s01, s11) = SumStep(s01, s11, lo0, hi0, sl0, sh0, lo1, hi1, sl1, sh1, yj + cols);
                (s02, s12) = SumStep(s02, s12, lo0, hi0, sl0, sh0, lo1, hi1, sl1, sh1, yj + (2 * cols));
                (s03, s13) = SumStep(s03, s13, lo0, hi0, sl0, sh0, lo1, hi1, sl1, sh1, yj + (3 * cols));
            }

            var d0 = HalfTable.Get(b0);
            var d1 = HalfTable.Get(b1);
            var ysi = ys + i;
            a00 = Fma.MultiplyAdd(Vector256.Create(ysi[0] * d0), Avx.ConvertToVector256Single(s00), a00);
            a10 = Fma.MultiplyAdd(Vector256.Create(ysi[0] * d1), Avx.ConvertToVector256Single(s10), a10);
            a01 = Fma.MultiplyAdd(Vector256.Create(ysi[blocks] * d0), Avx.ConvertToVector256Single(s01), a01);
            a11 = Fma.MultiplyAdd(Vector256.Create(ysi[blocks] * d1), Avx.ConvertToVector256Single(s11), a11);
            a02 = Fma.MultiplyAdd(Vector256.Create(ysi[2 * blocks] * d0), Avx.ConvertToVector256Single(s02), a02);
            a12 = Fma.MultiplyAdd(Vector256.Create(ysi[2 * blocks] * d1), Avx.ConvertToVector256Single(s12), a12);
            a03 = Fma.MultiplyAdd(Vector256.Create(ysi[3 * blocks] * d0), Avx.ConvertToVector256Single(s03), a03);
            a13 = Fma.MultiplyAdd(Vector256.Create(ysi[3 * blocks] * d1), Avx.ConvertToVector256Single(s13), a13);
        }

        results[0] = Finish(m00, a00);
        results[1] = Finish(m10, a10);
        results[2] = Finish(m01, a01);
        results[3] = Finish(m11, a11);
        results[4] = Finish(m02, a02);
        results[5] = Finish(m12, a12);
        results[6] = Finish(m03, a03);
        results[7] = Finish(m13, a13);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(Vector128<float> accM, Vector256<float> acc) =>
        ((accM[0] + accM[2]) + (accM[1] + accM[3])) + Q8_0Dot.HorizontalSum(acc);

    /// <summary>One token's min terms against both rows: <c>acc_m = fma(-d_y·dmin_x, prod, acc_m)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector128<float>, Vector128<float>) MinStep(
        Vector128<float> m0, Vector128<float> m1, Vector128<short> mins0, Vector128<short> mins1, float dm0, float dm1, short* bsums, float dy)
    {
        var pairs = Ssse3.HorizontalAdd(Sse2.LoadVector128(bsums), Sse2.LoadVector128(bsums + 8));
        m0 = Fma.MultiplyAdd(Vector128.Create(-dy * dm0), Sse2.ConvertToVector128Single(Sse2.MultiplyAddAdjacent(mins0, pairs)), m0);
        m1 = Fma.MultiplyAdd(Vector128.Create(-dy * dm1), Sse2.ConvertToVector128Single(Sse2.MultiplyAddAdjacent(mins1, pairs)), m1);
        return (m0, m1);
    }

    /// <summary>One token's 64 quants (a low and a high run) against both rows' unpacked nibbles and scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<int>, Vector256<int>) SumStep(
        Vector256<int> s0, Vector256<int> s1, Vector256<byte> lo0, Vector256<byte> hi0, Vector256<short> sl0, Vector256<short> sh0,
        Vector256<byte> lo1, Vector256<byte> hi1, Vector256<short> sl1, Vector256<short> sh1, sbyte* y)
    {
        var yl = Avx.LoadVector256(y);
        var yh = Avx.LoadVector256(y + 32);
        s0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(lo0, yl), sl0) + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hi0, yh), sh0);
        s1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(lo1, yl), sl1) + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hi1, yh), sh1);
        return (s0, s1);
    }
}
