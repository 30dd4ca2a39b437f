namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// The products of <see cref="RepackedDot"/> over weights interleaved at load (<see cref="RepackedLayout"/>): a run of
/// eight-row groups against one activation row (<c>gemv</c>) or against four (<c>gemm</c>, ggml's 4 × 8 tile). Each
/// output takes the same float operations as the one-row references in <c>RepackedDot.cs</c>, in the same order; only
/// where the bytes are read from changes. The scalar versions here are the references of the AVX2 ones
/// (<c>RepackedDot.Groups.Avx2.cs</c>).
/// </summary>
public static unsafe partial class RepackedDot
{
    /// <summary>
    /// Products of <paramref name="count"/> interleaved groups of rows of <paramref name="cols"/> values with the
    /// activation rows of <paramref name="y"/>: one row (a GEMV), or four rows read as one of 4·cols (a GEMM tile).
    /// Output r of group g for activation row j goes to <c>results[j·resultStride + 8g + r]</c>.
    /// </summary>
    public delegate void GroupKernel(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride);

    /// <summary>The Q4_0 GEMV: <see cref="GemvQ4_0Avx2"/> where the machine has AVX2, else <see cref="GemvQ4_0Scalar"/>.</summary>
    public static void GemvQ4_0(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride)
    {
        if (UseAvx2)
        {
            GemvQ4_0Avx2(groups, count, cols, y, results, resultStride);
        }
        else
        {
            GemvQ4_0Scalar(groups, count, cols, y, results, resultStride);
        }
    }

    /// <summary>The Q4_0 GEMM (four activation rows): its float operations per output are the GEMV's.</summary>
    public static void GemmQ4_0(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride)
    {
        if (UseAvx2)
        {
            GemmQ4_0Avx2(groups, count, cols, y, results, resultStride);
        }
        else
        {
            GemmQ4_0Scalar(groups, count, cols, y, results, resultStride);
        }
    }

    /// <summary>The Q4_K GEMV (one FMA pair per super-block).</summary>
    public static void GemvQ4_K(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride)
    {
        if (UseAvx2)
        {
            Q4_KGroupsAvx2(groups, count, cols, y, results, resultStride, tokens: 1);
        }
        else
        {
            Q4_KGroupsScalar(groups, count, cols, y, results, resultStride, tokens: 1);
        }
    }

    /// <summary>The Q4_K GEMM (four activation rows, one FMA pair per 64 values).</summary>
    public static void GemmQ4_K(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride)
    {
        if (UseAvx2)
        {
            Q4_KGroupsAvx2(groups, count, cols, y, results, resultStride, tokens: 4);
        }
        else
        {
            Q4_KGroupsScalar(groups, count, cols, y, results, resultStride, tokens: 4);
        }
    }

    /// <summary>The reference Q4_0 GEMV over the interleaved layout: <see cref="Q4_0Scalar"/> for each of the eight rows.</summary>
    public static void GemvQ4_0Scalar(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride) =>
        Q4_0GroupsScalar(groups, count, cols, y, results, resultStride, tokens: 1);

    /// <summary>The reference Q4_0 GEMM: the GEMV for each of the four activation rows.</summary>
    public static void GemmQ4_0Scalar(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride) =>
        Q4_0GroupsScalar(groups, count, cols, y, results, resultStride, tokens: 4);

    private static void Q4_0GroupsScalar(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride, int tokens)
    {
        var blocks = cols / QK;
        for (var g = 0; g < count; g++)
        {
            var group = groups + ((long)g * blocks * RepackedLayout.Q4_0BlockBytes);
            for (var t = 0; t < tokens; t++)
            {
                var q8 = y.Quants.Slice(t * cols, cols);
                var scales = y.Scales.Slice(t * blocks, blocks);
                for (var r = 0; r < RepackedLayout.Rows; r++)
                {
                    var acc = 0f;
                    for (var b = 0; b < blocks; b++)
                    {
                        var block = group + (b * RepackedLayout.Q4_0BlockBytes);
                        var isum = 0;
                        for (var m = 0; m < 4; m++)
                        {
                            for (var i = 0; i < 4; i++)
                            {
                                var q = block[16 + (32 * m) + (4 * r) + i];
                                isum += (((q & 0x0F) - 8) * q8[(b * QK) + (4 * m) + i]) + (((q >> 4) - 8) * q8[(b * QK) + 16 + (4 * m) + i]);
                            }
                        }

                        acc = MathF.FusedMultiplyAdd(isum, HalfTable.Get(block + (2 * r)) * scales[b], acc);
                    }

                    results[((long)t * resultStride) + (8 * g) + r] = acc;
                }
            }
        }
    }

    /// <summary>
    /// The reference Q4_K products over the interleaved layout: one token, <see cref="Q4_KScalar"/>'s operations (an FMA
    /// pair per super-block); four tokens, <see cref="Q4_KGemmScalar"/>'s (a pair per 64 values).
    /// </summary>
    public static void Q4_KGroupsScalar(byte* groups, int count, int cols, ActivationRow y, float* results, int resultStride, int tokens)
    {
        var blocks = cols / QKK;
        for (var g = 0; g < count; g++)
        {
            var group = groups + ((long)g * blocks * RepackedLayout.Q4_KBlockBytes);
            for (var t = 0; t < tokens; t++)
            {
                var q8 = y.Quants.Slice(t * cols, cols);
                var scales = y.Scales.Slice(t * blocks, blocks);
                var bsums = y.BlockSums.Slice(t * blocks * 16, blocks * 16);
                for (var r = 0; r < RepackedLayout.Rows; r++)
                {
                    float acc = 0, accMin = 0;
                    for (var i = 0; i < blocks; i++)
                    {
                        var block = group + (i * RepackedLayout.Q4_KBlockBytes);
                        var d = HalfTable.Get(block + (2 * r)) * scales[i];
                        var dmin = HalfTable.Get(block + RepackedLayout.Q4_KDmin + (2 * r)) * scales[i];
                        int isum = 0, imin = 0;
                        for (var c = 0; c < 4; c++)
                        {
                            var (sums, mins) = Q4_KChunkScalar(block, r, c, q8.Slice((i * QKK) + (64 * c), 64), bsums.Slice((i * 16) + (4 * c), 4));
                            if (tokens == 1)
                            {
                                isum += sums;
                                imin += mins;
                            }
                            else
                            {
                                acc = MathF.FusedMultiplyAdd(sums, d, acc);
                                accMin = MathF.FusedMultiplyAdd(mins, dmin, accMin);
                            }
                        }

                        if (tokens == 1)
                        {
                            acc = MathF.FusedMultiplyAdd(isum, d, acc);
                            accMin = MathF.FusedMultiplyAdd(imin, dmin, accMin);
                        }
                    }

                    results[((long)t * resultStride) + (8 * g) + r] = acc - accMin;
                }
            }
        }
    }

    /// <summary>Row <paramref name="r"/>'s sub-blocks 2c and 2c + 1: Σ scale·Σ q·q8, and Σ min·(the sub-block's q8 sums).</summary>
    private static (int Sums, int Mins) Q4_KChunkScalar(byte* block, int r, int c, ReadOnlySpan<sbyte> q8, ReadOnlySpan<short> bsums)
    {
        int lo = 0, hi = 0;
        for (var m = 0; m < 8; m++)
        {
            for (var i = 0; i < 4; i++)
            {
                var q = block[RepackedLayout.Q4_KQuants + (256 * c) + (32 * m) + (4 * r) + i];
                lo += (q & 0x0F) * q8[(4 * m) + i];
                hi += (q >> 4) * q8[32 + (4 * m) + i];
            }
        }

        var scaleLo = block[RepackedLayout.Q4_KScales + (8 * 2 * c) + r];
        var scaleHi = block[RepackedLayout.Q4_KScales + (8 * ((2 * c) + 1)) + r];
        var minLo = block[RepackedLayout.Q4_KMins + (16 * c) + (2 * r)];
        var minHi = block[RepackedLayout.Q4_KMins + (16 * c) + (2 * r) + 1];
        return ((scaleLo * lo) + (scaleHi * hi), (minLo * (bsums[0] + bsums[1])) + (minHi * (bsums[2] + bsums[3])));
    }
}
