using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's <c>ggml_vec_dot_q6_K_q8_K</c> as the pinned library computes it (established against its own
/// <c>vec_dot</c> with the runner's <c>vecdot</c> oracle): per 256-element super-block an int32 lane sum, lane t =
/// Σ over the eight 32-element chunks of scale × Σ of bytes 4t..4t+3 of (6-bit quant, unsigned) × q8, minus
/// 32 × (bsums[2t]·scale[2t] + bsums[2t+1]·scale[2t+1]); then <c>acc[t] = fma(d_y·d_x, lane_t, acc[t])</c> and
/// <c>hsum_float_8</c>. Where the −32 offset lands decides each lane's value, and so the float rounding.
/// </summary>
public static class Q6KDot
{
    private const int QKK = 256;

    /// <summary>Whether <see cref="Row"/> runs <see cref="RowAvx2"/> on this machine (else <see cref="RowScalar"/>).</summary>
    public static readonly bool UseAvx2 = Avx2.IsSupported && Fma.IsSupported;

    public static float Row(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums) =>
        UseAvx2 ? RowAvx2(weights, quants, scales, bsums) : RowScalar(weights, quants, scales, bsums);

    public static float RowScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        Span<int> sumi = stackalloc int[8];
        for (var i = 0; i < scales.Length; i++)
        {
            var block = weights.Slice(i * 210, 210);
            var d = scales[i] * HalfTable.Get(block, 208);
            var q8 = quants.Slice(i * QKK, QKK);
            var sc = block.Slice(192, 16);
            var bs = bsums.Slice(i * 16, 16);
            sumi.Clear();
            for (var j = 0; j < 2; j++)
            {
                var ql = block.Slice(64 * j, 64);
                var qh = block.Slice(128 + (32 * j), 32);
                for (var k = 0; k < 4; k++)
                {
                    for (var t = 0; t < 8; t++)
                    {
                        var lane = 0;
                        for (var b = 4 * t; b < (4 * t) + 4; b++)
                        {
                            var low = k switch { 0 => ql[b] & 0xF, 1 => ql[32 + b] & 0xF, 2 => ql[b] >> 4, _ => ql[32 + b] >> 4 };
                            lane += (low | (((qh[b] >> (2 * k)) & 3) << 4)) * q8[(128 * j) + (32 * k) + b];
                        }

                        sumi[t] += (sbyte)sc[(8 * j) + (2 * k) + (t >= 4 ? 1 : 0)] * lane;
                    }
                }
            }

            for (var t = 0; t < 8; t++)
            {
                sumi[t] -= 32 * ((bs[2 * t] * (sbyte)sc[2 * t]) + (bs[(2 * t) + 1] * (sbyte)sc[(2 * t) + 1]));
                acc[t] = MathF.FusedMultiplyAdd(d, sumi[t], acc[t]);
            }
        }

        return Q8_0Dot.HorizontalSum(acc);
    }

    /// <summary>The AVX2 kernel (needs AVX2 and FMA): <see cref="RowScalar"/>'s float operations, eight lanes at a time.</summary>
    public static unsafe float RowAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (float* ys = scales)
        fixed (short* bsp = bsums)
        {
            return RowCore(w, y, ys, bsp, scales.Length);
        }
    }

    /// <summary>
    /// The table's vec_dot: each of <paramref name="results"/>.Length rows (<paramref name="rowBytes"/> apart) against
    /// <paramref name="y"/>, each with <see cref="Row"/>'s bits; the activations are pinned once for all rows, where
    /// the per-row call (spans, pinning) measured a tenth of a 2048-column row's time.
    /// </summary>
    public static unsafe void Rows(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        if (!UseAvx2)
        {
            for (var r = 0; r < results.Length; r++)
            {
                results[r] = RowScalar(rows.Slice(r * rowBytes, rowBytes), y.Quants, y.Scales, y.BlockSums);
            }

            return;
        }

        fixed (byte* weights = rows)
        fixed (sbyte* q = y.Quants)
        fixed (float* ys = y.Scales)
        fixed (short* bsp = y.BlockSums)
        {
            for (var r = 0; r < results.Length; r++)
            {
                results[r] = RowCore(weights + ((long)r * rowBytes), q, ys, bsp, y.Scales.Length);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float RowCore(byte* w, sbyte* y, float* scales, short* bsp, int blocks)
    {
        var acc = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        var high = Vector256.Create((byte)0x30);
        for (var i = 0; i < blocks; i++)
        {
            var block = w + (i * 210);
            StreamPrefetch.Ahead(block, 210);
            var d = scales[i] * HalfTable.Get(block + 208);
            var sc = (sbyte*)(block + 192);

            // The offset: 32 · Σ scale·bsum, pairs of 16-element groups per lane (exact, so it may come first).
            var scales16 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128(sc));
            var sumi = Vector256<int>.Zero - Vector256.ShiftLeft(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(bsp + (i * 16)), scales16), 5);
            for (var j = 0; j < 2; j++)
            {
                // Half j's eight scales as int16 in both 128-bit lanes; chunk k picks 2k (low lane) and 2k+1 (high).
                var half = j == 0 ? scales16.GetLower() : scales16.GetUpper();
                var sj = Vector256.Create(half, half).AsByte();
                var ql0 = Avx.LoadVector256(block + (64 * j));
                var ql1 = Avx.LoadVector256(block + (64 * j) + 32);
                var qh = Avx.LoadVector256(block + 128 + (32 * j));
                var q8 = y + (i * QKK) + (128 * j);
                // The high bit pairs moved to bits 4-5 with 16-bit shifts (bits crossing into the next byte are masked off).
                sumi += Chunk((ql0 & low) | (ShiftLeft(qh, 4) & high), q8, ScalePair(sj, 0));
                sumi += Chunk((ql1 & low) | (ShiftLeft(qh, 2) & high), q8 + 32, ScalePair(sj, 1));
                sumi += Chunk((Shift(ql0, 4) & low) | (qh & high), q8 + 64, ScalePair(sj, 2));
                sumi += Chunk((Shift(ql1, 4) & low) | (Shift(qh, 2) & high), q8 + 96, ScalePair(sj, 3));
            }

            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }

        return Q8_0Dot.HorizontalSum(acc);
    }

    // The byte shuffles that pick scale 2k (low lane) and 2k+1 (high lane), built once: static readonly vectors are
    // constants to the optimizing JIT, where a Vector256.Create over computed bytes would be rebuilt in the loop.
    private static readonly Vector256<byte> ScaleShuffle0 = MakeScaleShuffle(0);
    private static readonly Vector256<byte> ScaleShuffle1 = MakeScaleShuffle(1);
    private static readonly Vector256<byte> ScaleShuffle2 = MakeScaleShuffle(2);
    private static readonly Vector256<byte> ScaleShuffle3 = MakeScaleShuffle(3);

    /// <summary>
    /// From eight int16 scales repeated in both lanes, scale 2k broadcast over the low lane and 2k+1 over the high
    /// one: one byte shuffle (ggml's <c>get_scale_shuffle</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> ScalePair(Vector256<byte> scales, int k) => Avx2.Shuffle(scales, k switch
    {
        0 => ScaleShuffle0,
        1 => ScaleShuffle1,
        2 => ScaleShuffle2,
        _ => ScaleShuffle3,
    }).AsInt16();

    private static Vector256<byte> MakeScaleShuffle(int k)
    {
        var bytes = new byte[32];
        for (var i = 0; i < 16; i++)
        {
            bytes[i] = (byte)((4 * k) + (i & 1));
            bytes[16 + i] = (byte)((4 * k) + 2 + (i & 1));
        }

        return Vector256.Create(bytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> ShiftLeft(Vector256<byte> v, int bits) => Vector256.ShiftLeft(v.AsUInt16(), bits).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Shift(Vector256<byte> v, int bits) => Vector256.ShiftRightLogical(v.AsUInt16(), bits).AsByte();

    /// <summary>One 32-element chunk: (unsigned 6-bit quant)·q8 in byte pairs, then pairs times the chunk's two scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Chunk(Vector256<byte> q6, sbyte* q8, Vector256<short> scalePair) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q6, Avx.LoadVector256(q8)), scalePair);

    /// <summary>
    /// Rows <paramref name="row0"/> and <paramref name="row1"/> against the 4 activation rows starting at
    /// <paramref name="q8"/> (Q8_K layout as in <see cref="Q4KDot.Tile"/>); writes <c>results[2·token + row]</c>,
    /// each pair with <see cref="Row"/>'s bits. The 6-bit quants of each chunk are assembled once for 4 tokens.
    /// </summary>
    public static unsafe void Tile(byte* row0, byte* row1, sbyte* q8, float* ys, short* bsums, int cols, Span<float> results)
    {
        var blocks = cols / QKK;
        var bsStride = cols / 16;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        for (var i = 0; i < blocks; i++)
        {
            var b0 = row0 + (i * 210);
            var b1 = row1 + (i * 210);
            var sc0 = (sbyte*)(b0 + 192);
            var sc1 = (sbyte*)(b1 + 192);

            // The offsets first (exact integers, so their place in the sum does not matter).
            var scales0 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128(sc0));
            var scales1 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128(sc1));
            var bs = bsums + (i * 16);
            var s00 = Offset(bs, scales0);
            var s10 = Offset(bs, scales1);
            var s01 = Offset(bs + bsStride, scales0);
            var s11 = Offset(bs + bsStride, scales1);
            var s02 = Offset(bs + (2 * bsStride), scales0);
            var s12 = Offset(bs + (2 * bsStride), scales1);
            var s03 = Offset(bs + (3 * bsStride), scales0);
            var s13 = Offset(bs + (3 * bsStride), scales1);

            var y = q8 + (i * QKK);
            for (var j = 0; j < 2; j++)
            {
                for (var k = 0; k < 4; k++)
                {
                    var q0 = Quants(b0, j, k);
                    var q1 = Quants(b1, j, k);
                    var c0 = ScalePair(sc0, j, k);
                    var c1 = ScalePair(sc1, j, k);
                    var yc = y + (128 * j) + (32 * k);
                    (s00, s10) = ChunkStep(s00, s10, q0, c0, q1, c1, yc);
                    (s01, s11) = ChunkStep(s01, s11, q0, c0, q1, c1, yc + cols);
                    (s02, s12) = ChunkStep(s02, s12, q0, c0, q1, c1, yc + (2 * cols));
                    (s03, s13) = ChunkStep(s03, s13, q0, c0, q1, c1, yc + (3 * cols));
                }
            }

            var d0 = HalfTable.Get(b0 + 208);
            var d1 = HalfTable.Get(b1 + 208);
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

        results[0] = Q8_0Dot.HorizontalSum(a00);
        results[1] = Q8_0Dot.HorizontalSum(a10);
        results[2] = Q8_0Dot.HorizontalSum(a01);
        results[3] = Q8_0Dot.HorizontalSum(a11);
        results[4] = Q8_0Dot.HorizontalSum(a02);
        results[5] = Q8_0Dot.HorizontalSum(a12);
        results[6] = Q8_0Dot.HorizontalSum(a03);
        results[7] = Q8_0Dot.HorizontalSum(a13);
    }

    /// <summary>−32 · Σ scale·bsum per lane (pairs of 16-element groups), the start of a pair's lane sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Offset(short* bsums, Vector256<short> scales) =>
        Vector256<int>.Zero - Vector256.ShiftLeft(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(bsums), scales), 5);

    /// <summary>The unsigned 6-bit quants of chunk k (32 elements) of half j: low nibble from ql, two high bits from qh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<byte> Quants(byte* block, int j, int k)
    {
        var low = Vector256.Create((byte)0x0F);
        var ql = Avx.LoadVector256(block + (64 * j) + (32 * (k & 1)));
        var qh = Avx.LoadVector256(block + 128 + (32 * j));
        var nibble = k < 2 ? ql & low : Shift(ql, 4) & low;
        var high = k switch
        {
            0 => ShiftLeft(qh, 4),
            1 => ShiftLeft(qh, 2),
            2 => qh,
            _ => Shift(qh, 2),
        };
        return nibble | (high & Vector256.Create((byte)0x30));
    }

    /// <summary>Chunk k of half j's two scales, read from the block (the tile has no registers left for shuffles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<short> ScalePair(sbyte* sc, int j, int k) =>
        Vector256.Create(Vector128.Create((short)sc[(8 * j) + (2 * k)]), Vector128.Create((short)sc[(8 * j) + (2 * k) + 1]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<int>, Vector256<int>) ChunkStep(
        Vector256<int> s0, Vector256<int> s1, Vector256<byte> q0, Vector256<short> c0, Vector256<byte> q1, Vector256<short> c1, sbyte* y)
    {
        var yv = Avx.LoadVector256(y);
        s0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q0, yv), c0);
        s1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q1, yv), c1);
        return (s0, s1);
    }
}
