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

    public static bool UseAvx2 { get; set; } = Avx2.IsSupported && Fma.IsSupported;

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

    private static unsafe float RowAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        var acc = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        var three = Vector256.Create((byte)0x03);
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (short* bsp = bsums)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 210);
                var d = scales[i] * HalfTable.Get(block + 208);
                var sc = (sbyte*)(block + 192);
                var sumi = Vector256<int>.Zero;
                for (var j = 0; j < 2; j++)
                {
                    var ql0 = Avx.LoadVector256(block + (64 * j));
                    var ql1 = Avx.LoadVector256(block + (64 * j) + 32);
                    var qh = Avx.LoadVector256(block + 128 + (32 * j));
                    var q8 = y + (i * QKK) + (128 * j);
                    sumi += Chunk((ql0 & low) | Vector256.ShiftLeft(qh & three, 4), q8, sc[(8 * j) + 0], sc[(8 * j) + 1]);
                    sumi += Chunk((ql1 & low) | Vector256.ShiftLeft(Shift(qh, 2) & three, 4), q8 + 32, sc[(8 * j) + 2], sc[(8 * j) + 3]);
                    sumi += Chunk((Shift(ql0, 4) & low) | Vector256.ShiftLeft(Shift(qh, 4) & three, 4), q8 + 64, sc[(8 * j) + 4], sc[(8 * j) + 5]);
                    sumi += Chunk((Shift(ql1, 4) & low) | Vector256.ShiftLeft(Shift(qh, 6) & three, 4), q8 + 96, sc[(8 * j) + 6], sc[(8 * j) + 7]);
                }

                // The offset: 32 · Σ scale·bsum, pairs of 16-element groups per lane.
                var scales16 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128(sc));
                var offset = Avx2.MultiplyAddAdjacent(Avx.LoadVector256(bsp + (i * 16)), scales16);
                sumi -= Vector256.ShiftLeft(offset, 5);
                acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
            }
        }

        return Q8_0Dot.HorizontalSum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Shift(Vector256<byte> v, int bits) => Vector256.ShiftRightLogical(v.AsUInt16(), bits).AsByte();

    /// <summary>One 32-element chunk: (unsigned 6-bit quant)·q8 in byte pairs, then pairs times the chunk's two scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Chunk(Vector256<byte> q6, sbyte* q8, sbyte scaleA, sbyte scaleB)
    {
        var p = Avx2.MultiplyAddAdjacent(q6, Avx.LoadVector256(q8));
        return Avx2.MultiplyAddAdjacent(p, Vector256.Create(Vector128.Create((short)scaleA), Vector128.Create((short)scaleB)));
    }
}
