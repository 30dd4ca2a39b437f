using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// The interleaved products eight rows at a time: a 32-byte load holds a 4-byte run of each row, so the byte products
/// (<c>vpmaddubsw</c>, nibble × q8, summed in 16 bits where no sum can exceed 8·2·15·127) and one 16-bit pairwise add
/// leave row r's exact integer sum in lane r, and one 8-lane FMA per step advances the eight rows' accumulators with
/// the scalar references' operations. Q4_0's −8 is taken out of the sum as 8·Σq8 of the block (exact). The GEMM reads
/// each weight vector once for four activation rows.
/// </summary>
public static unsafe partial class RepackedDot
{
    private static readonly float TwoTo112 = MathF.ScaleB(1f, 112);

    /// <summary>Q4_0, one activation row; <paramref name="y"/>'s block sums are the Σq8 of each block of 32.</summary>
    public static void GemvQ4_0Avx2(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride)
    {
        var blocks = cols / QK;
        var low = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        fixed (sbyte* q8 = y.Quants)
        fixed (float* ys = y.Scales)
        fixed (short* sums = y.BlockSums)
        {
            var w = groups;
            for (var g = 0; g < count; g++)
            {
                var acc = Vector256<float>.Zero;
                for (var b = 0; b < blocks; b++, w += RepackedLayout.Q4_0BlockBytes)
                {
                    StreamPrefetch.Ahead(w, RepackedLayout.Q4_0BlockBytes);
                    var qy = q8 + (b * QK);
                    var p = Vector256<short>.Zero;
                    for (var m = 0; m < 4; m++)
                    {
                        var v = Avx.LoadVector256(w + 16 + (32 * m));
                        p += Avx2.MultiplyAddAdjacent(v & low, Broadcast(qy + (4 * m)));
                        p += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low, Broadcast(qy + 16 + (4 * m)));
                    }

                    var isum = Avx2.MultiplyAddAdjacent(p, ones) - Vector256.Create(8 * sums[b]);
                    acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), WidenHalves(w) * Vector256.Create(ys[b]), acc);
                }

                Avx.Store(results + (8 * g), acc);
            }
        }
    }

    /// <summary>Q4_0, four activation rows (<paramref name="y"/> holds them as one row of 4·cols).</summary>
    public static void GemmQ4_0Avx2(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride)
    {
        var blocks = cols / QK;
        var low = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        fixed (sbyte* q8 = y.Quants)
        fixed (float* ys = y.Scales)
        fixed (short* sums = y.BlockSums)
        {
            var w = groups;
            for (var g = 0; g < count; g++)
            {
                Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
                for (var b = 0; b < blocks; b++, w += RepackedLayout.Q4_0BlockBytes)
                {
                    var qy = q8 + (b * QK);
                    Vector256<short> p0 = default, p1 = default, p2 = default, p3 = default;
                    for (var m = 0; m < 4; m++)
                    {
                        var v = Avx.LoadVector256(w + 16 + (32 * m));
                        var lo = v & low;
                        var hi = Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low;
                        var at = qy + (4 * m);
                        p0 += Avx2.MultiplyAddAdjacent(lo, Broadcast(at)) + Avx2.MultiplyAddAdjacent(hi, Broadcast(at + 16));
                        p1 += Avx2.MultiplyAddAdjacent(lo, Broadcast(at + cols)) + Avx2.MultiplyAddAdjacent(hi, Broadcast(at + cols + 16));
                        p2 += Avx2.MultiplyAddAdjacent(lo, Broadcast(at + (2 * cols))) + Avx2.MultiplyAddAdjacent(hi, Broadcast(at + (2 * cols) + 16));
                        p3 += Avx2.MultiplyAddAdjacent(lo, Broadcast(at + (3 * cols))) + Avx2.MultiplyAddAdjacent(hi, Broadcast(at + (3 * cols) + 16));
                    }

                    var d = WidenHalves(w);
                    acc0 = Q4_0Step(p0, ones, sums[b], d, ys[b], acc0);
                    acc1 = Q4_0Step(p1, ones, sums[blocks + b], d, ys[blocks + b], acc1);
                    acc2 = Q4_0Step(p2, ones, sums[(2 * blocks) + b], d, ys[(2 * blocks) + b], acc2);
                    acc3 = Q4_0Step(p3, ones, sums[(3 * blocks) + b], d, ys[(3 * blocks) + b], acc3);
                }

                Avx.Store(results + (8 * g), acc0);
                Avx.Store(results + resultStride + (8 * g), acc1);
                Avx.Store(results + (2L * resultStride) + (8 * g), acc2);
                Avx.Store(results + (3L * resultStride) + (8 * g), acc3);
            }
        }
    }

    /// <summary>One Q4_0 block's FMA: isum = Σ nibble·q8 − 8·Σq8, acc = fma((float)isum, d_w·d_x, acc).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q4_0Step(Vector256<short> p, Vector256<short> ones, short sum, Vector256<float> d, float dy, Vector256<float> acc)
    {
        var isum = Avx2.MultiplyAddAdjacent(p, ones) - Vector256.Create(8 * sum);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), d * Vector256.Create(dy), acc);
    }

    /// <summary>Q4_K against one activation row (<paramref name="tokens"/> 1) or four (4, the GEMM's FMA steps).</summary>
    private static void Q4_KGroupsAvx2(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride, int tokens)
    {
        var blocks = cols / QKK;
        fixed (sbyte* q8 = y.Quants)
        fixed (float* ys = y.Scales)
        fixed (short* bsums = y.BlockSums)
        {
            for (var g = 0; g < count; g++)
            {
                var group = groups + ((long)g * blocks * RepackedLayout.Q4_KBlockBytes);
                if (tokens == 1)
                {
                    Avx.Store(results + (8 * g), Q4_KGemvGroup(group, blocks, q8, ys, bsums));
                }
                else
                {
                    Q4_KGemmGroup(group, blocks, cols, q8, ys, bsums, results + (8 * g), resultStride);
                }
            }
        }
    }

    private static Vector256<float> Q4_KGemvGroup(byte* w, int blocks, sbyte* q8, float* ys, short* bsums)
    {
        var low = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        Vector256<float> acc = default, accMin = default;
        for (var i = 0; i < blocks; i++, w += RepackedLayout.Q4_KBlockBytes)
        {
            StreamPrefetch.Ahead(w, RepackedLayout.Q4_KBlockBytes);
            var qy = q8 + (i * QKK);
            var bs = bsums + (i * 16);
            var isum = Vector256<int>.Zero;
            var imin = Vector256<int>.Zero;
            for (var c = 0; c < 4; c++)
            {
                Vector256<short> lo = default, hi = default;
                var quants = w + RepackedLayout.Q4_KQuants + (256 * c);
                for (var m = 0; m < 8; m++)
                {
                    var v = Avx.LoadVector256(quants + (32 * m));
                    lo += Avx2.MultiplyAddAdjacent(v & low, Broadcast(qy + (64 * c) + (4 * m)));
                    hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low, Broadcast(qy + (64 * c) + 32 + (4 * m)));
                }

                isum += ScaledSums(w, c, lo, hi, ones);
                imin += MinTerms(w, c, bs);
            }

            var dy = Vector256.Create(ys[i]);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), WidenHalves(w) * dy, acc);
            accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(imin), WidenHalves(w + RepackedLayout.Q4_KDmin) * dy, accMin);
        }

        return acc - accMin;
    }

    private static void Q4_KGemmGroup(byte* w, int blocks, int cols, sbyte* q8, float* ys, short* bsums, float* results, int resultStride)
    {
        var low = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        var sumsPerRow = cols / 16;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        Vector256<float> min0 = default, min1 = default, min2 = default, min3 = default;
        for (var i = 0; i < blocks; i++, w += RepackedLayout.Q4_KBlockBytes)
        {
            var dW = WidenHalves(w);
            var dminW = WidenHalves(w + RepackedLayout.Q4_KDmin);
            var bs = bsums + (i * 16);
            for (var c = 0; c < 4; c++)
            {
                Vector256<short> lo0 = default, lo1 = default, lo2 = default, lo3 = default;
                Vector256<short> hi0 = default, hi1 = default, hi2 = default, hi3 = default;
                var quants = w + RepackedLayout.Q4_KQuants + (256 * c);
                var qy = q8 + (i * QKK) + (64 * c);
                for (var m = 0; m < 8; m++, qy += 4)
                {
                    var v = Avx.LoadVector256(quants + (32 * m));
                    var l = v & low;
                    var h = Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low;
                    lo0 += Avx2.MultiplyAddAdjacent(l, Broadcast(qy));
                    hi0 += Avx2.MultiplyAddAdjacent(h, Broadcast(qy + 32));
                    lo1 += Avx2.MultiplyAddAdjacent(l, Broadcast(qy + cols));
                    hi1 += Avx2.MultiplyAddAdjacent(h, Broadcast(qy + cols + 32));
                    lo2 += Avx2.MultiplyAddAdjacent(l, Broadcast(qy + (2 * cols)));
                    hi2 += Avx2.MultiplyAddAdjacent(h, Broadcast(qy + (2 * cols) + 32));
                    lo3 += Avx2.MultiplyAddAdjacent(l, Broadcast(qy + (3 * cols)));
                    hi3 += Avx2.MultiplyAddAdjacent(h, Broadcast(qy + (3 * cols) + 32));
                }

                acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(ScaledSums(w, c, lo0, hi0, ones)), dW * Vector256.Create(ys[i]), acc0);
                acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(ScaledSums(w, c, lo1, hi1, ones)), dW * Vector256.Create(ys[blocks + i]), acc1);
                acc2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(ScaledSums(w, c, lo2, hi2, ones)), dW * Vector256.Create(ys[(2 * blocks) + i]), acc2);
                acc3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(ScaledSums(w, c, lo3, hi3, ones)), dW * Vector256.Create(ys[(3 * blocks) + i]), acc3);
                min0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(MinTerms(w, c, bs)), dminW * Vector256.Create(ys[i]), min0);
                min1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(MinTerms(w, c, bs + sumsPerRow)), dminW * Vector256.Create(ys[blocks + i]), min1);
                min2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(MinTerms(w, c, bs + (2 * sumsPerRow))), dminW * Vector256.Create(ys[(2 * blocks) + i]), min2);
                min3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(MinTerms(w, c, bs + (3 * sumsPerRow))), dminW * Vector256.Create(ys[(3 * blocks) + i]), min3);
            }
        }

        Avx.Store(results, acc0 - min0);
        Avx.Store(results + resultStride, acc1 - min1);
        Avx.Store(results + (2L * resultStride), acc2 - min2);
        Avx.Store(results + (3L * resultStride), acc3 - min3);
    }

    /// <summary>Lane r: scale(2c, r)·lo_r + scale(2c + 1, r)·hi_r, with lo and hi the rows' 16-bit partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ScaledSums(byte* block, int c, Vector256<short> lo, Vector256<short> hi, Vector256<short> ones)
    {
        var scales = block + RepackedLayout.Q4_KScales + (16 * c);
        return Avx2.MultiplyLow(Avx2.MultiplyAddAdjacent(lo, ones), Avx2.ConvertToVector256Int32(scales))
            + Avx2.MultiplyLow(Avx2.MultiplyAddAdjacent(hi, ones), Avx2.ConvertToVector256Int32(scales + 8));
    }

    /// <summary>Lane r: min(2c, r)·(q8 sum of sub-block 2c) + min(2c + 1, r)·(of 2c + 1), from the block's 16-element sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MinTerms(byte* block, int c, short* bs)
    {
        var pair = (ushort)(short)(bs[4 * c] + bs[(4 * c) + 1]) | ((bs[(4 * c) + 2] + bs[(4 * c) + 3]) << 16);
        return Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(block + RepackedLayout.Q4_KMins + (16 * c)), Vector256.Create(pair).AsInt16());
    }

    /// <summary>Four activation quants (one 32-bit word) in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* at) => Vector256.Create(*(int*)at).AsSByte();

    /// <summary>
    /// Eight F16 values widened to F32, exactly: the magnitude's bits moved into F32 position and scaled by 2^112 (exact
    /// for normal and subnormal halves alike), infinities and NaNs rebuilt with the F32 exponent, then the sign.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> WidenHalves(byte* at)
    {
        var h = Avx2.ConvertToVector256Int32((ushort*)at);
        var magnitude = h & Vector256.Create(0x7FFF);
        var moved = Avx2.ShiftLeftLogical(magnitude, 13);
        var finite = (moved.AsSingle() * Vector256.Create(TwoTo112)).AsInt32();
        var special = moved | Vector256.Create(0x7F800000);
        var bits = Avx2.BlendVariable(finite, special, Avx2.CompareGreaterThan(magnitude, Vector256.Create(0x7BFF)));
        return (bits | Avx2.ShiftLeftLogical(h & Vector256.Create(0x8000), 16)).AsSingle();
    }
}
