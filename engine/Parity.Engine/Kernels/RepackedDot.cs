using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// The products of ggml's repacked CPU weights (<c>repack.cpp</c>: Q4_0, Q4_K and Q2_K interleaved eight rows at a
/// time, <c>ggml_gemv_*_8x8</c> / <c>ggml_gemm_*_8x8</c>) as x86 computes each output: the integer sum of a whole
/// block (Q4_0: 32 values; K-quants: 256, each 16 or 32 times its sub-block scale) is exact, and one float accumulator
/// per output takes <c>acc = fma((float)isum, d_w·d_x, acc)</c> block after block, in order, with no final reduction.
/// The K-quants keep the mins apart, <c>accm = fma((float)Σ min·bsum, dmin_w·d_x, accm)</c>, and return
/// <c>acc − accm</c>. The AVX-512 build's GEMM (four activation rows at a time) takes its FMAs per inner step instead
/// of per super-block: Q4_K per 64 values (two sub-blocks), Q2_K per 128; its Q4_0 step is the whole block, as in the
/// GEMV. Interleaving only decides which eight rows share registers, so a row's result depends on its own
/// bytes and the activation row alone: the kernels read the file's own blocks. Each type has a scalar reference and
/// an AVX2 kernel that computes the same integer sums eight lanes at a time and the same float operations.
/// </summary>
public static partial class RepackedDot
{
    private const int QK = 32;
    private const int QKK = 256;

    /// <summary>Whether the table's kernels run the AVX2 versions on this machine (else the scalar references).</summary>
    public static readonly bool UseAvx2 = Avx2.IsSupported && Fma.IsSupported;

    /// <summary><c>ggml_gemv/gemm_q4_0_8x8_q8_0</c> for each of <paramref name="results"/>.Length rows.</summary>
    public static void RowsQ4_0(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = UseAvx2 ? Q4_0Rows8(rows, rowBytes, y, results) : 0; r < results.Length; r++)
        {
            var row = rows.Slice(r * rowBytes, rowBytes);
            results[r] = UseAvx2 ? Q4_0Avx2(row, y.Quants, y.Scales) : Q4_0Scalar(row, y.Quants, y.Scales);
        }
    }

    /// <summary><c>ggml_gemv/gemm_q4_K_8x8_q8_K</c> for each of <paramref name="results"/>.Length rows.</summary>
    public static void RowsQ4_K(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = UseAvx2 ? Q4_KRows8(rows, rowBytes, y, results, gemm: false) : 0; r < results.Length; r++)
        {
            var row = rows.Slice(r * rowBytes, rowBytes);
            results[r] = UseAvx2 ? Q4_KAvx2(row, y.Quants, y.Scales, y.BlockSums) : Q4_KScalar(row, y.Quants, y.Scales, y.BlockSums);
        }
    }

    /// <summary><c>ggml_gemv/gemm_q2_K_8x8_q8_K</c> for each of <paramref name="results"/>.Length rows.</summary>
    public static void RowsQ2_K(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = UseAvx2 ? Q2_KRows8(rows, rowBytes, y, results, gemm: false) : 0; r < results.Length; r++)
        {
            var row = rows.Slice(r * rowBytes, rowBytes);
            results[r] = UseAvx2 ? Q2_KAvx2(row, y.Quants, y.Scales, y.BlockSums) : Q2_KScalar(row, y.Quants, y.Scales, y.BlockSums);
        }
    }

    /// <summary>The AVX-512 build's <c>ggml_gemm_q4_K_8x8_q8_K</c> for each of <paramref name="results"/>.Length rows.</summary>
    public static void GemmRowsQ4_K(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = UseAvx2 ? Q4_KRows8(rows, rowBytes, y, results, gemm: true) : 0; r < results.Length; r++)
        {
            var row = rows.Slice(r * rowBytes, rowBytes);
            results[r] = UseAvx2 ? Q4_KGemmAvx2(row, y.Quants, y.Scales, y.BlockSums) : Q4_KGemmScalar(row, y.Quants, y.Scales, y.BlockSums);
        }
    }

    /// <summary>The AVX-512 build's <c>ggml_gemm_q2_K_8x8_q8_K</c> for each of <paramref name="results"/>.Length rows.</summary>
    public static void GemmRowsQ2_K(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = UseAvx2 ? Q2_KRows8(rows, rowBytes, y, results, gemm: true) : 0; r < results.Length; r++)
        {
            var row = rows.Slice(r * rowBytes, rowBytes);
            results[r] = UseAvx2 ? Q2_KGemmAvx2(row, y.Quants, y.Scales, y.BlockSums) : Q2_KGemmScalar(row, y.Quants, y.Scales, y.BlockSums);
        }
    }

    /// <summary>The reference: per block of 32, isum = Σ (nibble − 8)·q8, then one FMA.</summary>
    public static float Q4_0Scalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        var acc = 0f;
        for (var b = 0; b < scales.Length; b++)
        {
            var block = weights.Slice(b * 18, 18);
            var q8 = quants.Slice(b * QK, QK);
            var isum = 0;
            for (var j = 0; j < 16; j++)
            {
                isum += (((block[2 + j] & 0x0F) - 8) * q8[j]) + (((block[2 + j] >> 4) - 8) * q8[j + 16]);
            }

            acc = MathF.FusedMultiplyAdd(isum, HalfTable.Get(block, 0) * scales[b], acc);
        }

        return acc;
    }

    /// <summary>
    /// The reference: per super-block, isum = Σ over the eight 32-element sub-blocks of scale × Σ nibble·q8 and
    /// imin = Σ min × (the sub-block's two 16-element q8 sums), each into its own accumulator.
    /// </summary>
    public static float Q4_KScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        float acc = 0, accMin = 0;
        Span<byte> sc = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        for (var i = 0; i < scales.Length; i++)
        {
            var block = weights.Slice(i * 144, 144);
            KQuantScales.ScalesAndMins(block.Slice(4, 12), sc, mins);
            var q8 = quants.Slice(i * QKK, QKK);
            var bs = bsums.Slice(i * 16, 16);
            int isum = 0, imin = 0;
            for (var j = 0; j < 4; j++)
            {
                int lo = 0, hi = 0;
                for (var b = 0; b < 32; b++)
                {
                    lo += (block[16 + (32 * j) + b] & 0xF) * q8[(64 * j) + b];
                    hi += (block[16 + (32 * j) + b] >> 4) * q8[(64 * j) + 32 + b];
                }

                isum += (sc[2 * j] * lo) + (sc[(2 * j) + 1] * hi);
                imin += (mins[2 * j] * (bs[4 * j] + bs[(4 * j) + 1])) + (mins[(2 * j) + 1] * (bs[(4 * j) + 2] + bs[(4 * j) + 3]));
            }

            acc = MathF.FusedMultiplyAdd(isum, HalfTable.Get(block, 0) * scales[i], acc);
            accMin = MathF.FusedMultiplyAdd(imin, HalfTable.Get(block, 2) * scales[i], accMin);
        }

        return acc - accMin;
    }

    /// <summary>
    /// The reference: per super-block, isum = Σ over the sixteen 16-element groups of (scale &amp; 15) × Σ q2·q8 and
    /// imin = Σ (scale &gt;&gt; 4) × the group's q8 sum, each into its own accumulator.
    /// </summary>
    public static float Q2_KScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        float acc = 0, accMin = 0;
        for (var i = 0; i < scales.Length; i++)
        {
            var block = weights.Slice(i * 84, 84);
            var q8 = quants.Slice(i * QKK, QKK);
            var bs = bsums.Slice(i * 16, 16);
            int isum = 0, imin = 0;
            for (var g = 0; g < 16; g++)
            {
                // Group g holds elements 16g..16g+15: half h = g / 8, shift k = (g % 8) / 2, bytes 16·(g % 2)...
                var half = g / 8;
                var shift = 2 * ((g % 8) / 2);
                var first = 16 * (g % 2);
                var sum = 0;
                for (var l = 0; l < 16; l++)
                {
                    sum += ((block[16 + (32 * half) + first + l] >> shift) & 3) * q8[(16 * g) + l];
                }

                isum += (block[g] & 0xF) * sum;
                imin += (block[g] >> 4) * bs[g];
            }

            acc = MathF.FusedMultiplyAdd(isum, HalfTable.Get(block, 80) * scales[i], acc);
            accMin = MathF.FusedMultiplyAdd(imin, HalfTable.Get(block, 82) * scales[i], accMin);
        }

        return acc - accMin;
    }

    /// <summary>The GEMM's reference: <see cref="Q4_KScalar"/>'s sums, one FMA pair per 64 values (sub-blocks 2j and 2j + 1).</summary>
    public static float Q4_KGemmScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        float acc = 0, accMin = 0;
        Span<byte> sc = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        for (var i = 0; i < scales.Length; i++)
        {
            var block = weights.Slice(i * 144, 144);
            KQuantScales.ScalesAndMins(block.Slice(4, 12), sc, mins);
            var q8 = quants.Slice(i * QKK, QKK);
            var bs = bsums.Slice(i * 16, 16);
            var d = HalfTable.Get(block, 0) * scales[i];
            var dmin = HalfTable.Get(block, 2) * scales[i];
            for (var j = 0; j < 4; j++)
            {
                int lo = 0, hi = 0;
                for (var b = 0; b < 32; b++)
                {
                    lo += (block[16 + (32 * j) + b] & 0xF) * q8[(64 * j) + b];
                    hi += (block[16 + (32 * j) + b] >> 4) * q8[(64 * j) + 32 + b];
                }

                var imin = (mins[2 * j] * (bs[4 * j] + bs[(4 * j) + 1])) + (mins[(2 * j) + 1] * (bs[(4 * j) + 2] + bs[(4 * j) + 3]));
                acc = MathF.FusedMultiplyAdd((sc[2 * j] * lo) + (sc[(2 * j) + 1] * hi), d, acc);
                accMin = MathF.FusedMultiplyAdd(imin, dmin, accMin);
            }
        }

        return acc - accMin;
    }

    /// <summary>The GEMM's reference: <see cref="Q2_KScalar"/>'s sums, one FMA pair per 128 values (groups 8h..8h + 7).</summary>
    public static float Q2_KGemmScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        float acc = 0, accMin = 0;
        for (var i = 0; i < scales.Length; i++)
        {
            var block = weights.Slice(i * 84, 84);
            var q8 = quants.Slice(i * QKK, QKK);
            var bs = bsums.Slice(i * 16, 16);
            var d = HalfTable.Get(block, 80) * scales[i];
            var dmin = HalfTable.Get(block, 82) * scales[i];
            for (var half = 0; half < 2; half++)
            {
                int isum = 0, imin = 0;
                for (var g = 8 * half; g < (8 * half) + 8; g++)
                {
                    var shift = 2 * ((g % 8) / 2);
                    var first = 16 * (g % 2);
                    var sum = 0;
                    for (var l = 0; l < 16; l++)
                    {
                        sum += ((block[16 + (32 * half) + first + l] >> shift) & 3) * q8[(16 * g) + l];
                    }

                    isum += (block[g] & 0xF) * sum;
                    imin += (block[g] >> 4) * bs[g];
                }

                acc = MathF.FusedMultiplyAdd(isum, d, acc);
                accMin = MathF.FusedMultiplyAdd(imin, dmin, accMin);
            }
        }

        return acc - accMin;
    }

    /// <summary><see cref="Q4_0Scalar"/>'s operations with the block's integer sum taken eight lanes at a time.</summary>
    public static unsafe float Q4_0Avx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        var acc = 0f;
        var low = Vector128.Create((byte)0x0F);
        var eight = Vector256.Create((sbyte)8);
        var ones = Vector256.Create((short)1);
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        {
            for (var b = 0; b < scales.Length; b++)
            {
                var block = w + (b * 18);
                StreamPrefetch.Ahead(block, 18);
                var q = Sse2.LoadVector128(block + 2);
                var qx = Vector256.Create(q & low, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & low).AsSByte() - eight;
                var qy = Avx.LoadVector256(y + (b * QK));
                var lanes = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(qx), Avx2.Sign(qy, qx)), ones);
                acc = MathF.FusedMultiplyAdd(Vector256.Sum(lanes), HalfTable.Get(block) * scales[b], acc);
            }
        }

        return acc;
    }

    /// <summary><see cref="Q4_KScalar"/>'s operations with the integer sums taken eight lanes at a time.</summary>
    public static unsafe float Q4_KAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        float acc = 0, accMin = 0;
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (short* bsp = bsums)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 144);
                StreamPrefetch.Ahead(block, 144);
                var (sc, mins) = KQuantScales.Packed(block);
                var isum = Vector256.Sum(Q4KDot.Sums(block, y + (i * QKK), sc));
                var imin = Vector128.Sum(KQuantScales.MinTerms(mins, bsp + (i * 16)));
                acc = MathF.FusedMultiplyAdd(isum, HalfTable.Get(block) * scales[i], acc);
                accMin = MathF.FusedMultiplyAdd(imin, HalfTable.Get(block + 2) * scales[i], accMin);
            }
        }

        return acc - accMin;
    }

    /// <summary><see cref="Q2_KScalar"/>'s operations with the integer sums taken eight lanes at a time.</summary>
    public static unsafe float Q2_KAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        float acc = 0, accMin = 0;
        var three = Vector256.Create((byte)3);
        var lowNibble = Vector128.Create((byte)0x0F);
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (short* bsp = bsums)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 84);
                StreamPrefetch.Ahead(block, 84);
                var packed = Sse2.LoadVector128(block);
                var mins16 = Avx2.ConvertToVector256Int16(Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & lowNibble);
                var imin = Vector256.Sum(Avx2.MultiplyAddAdjacent(mins16, Avx.LoadVector256(bsp + (i * 16))));
                var isum = Vector256.Sum(Q2KSums(block, y + (i * QKK), three));
                acc = MathF.FusedMultiplyAdd(isum, HalfTable.Get(block + 80) * scales[i], acc);
                accMin = MathF.FusedMultiplyAdd(imin, HalfTable.Get(block + 82) * scales[i], accMin);
            }
        }

        return acc - accMin;
    }

    /// <summary><see cref="Q4_KGemmScalar"/>'s operations with the integer sums taken eight lanes at a time.</summary>
    public static unsafe float Q4_KGemmAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        float acc = 0, accMin = 0;
        var low = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        Span<byte> sc = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 144);
                KQuantScales.ScalesAndMins(new ReadOnlySpan<byte>(block + 4, 12), sc, mins);
                var bs = bsums.Slice(i * 16, 16);
                var d = HalfTable.Get(block) * scales[i];
                var dmin = HalfTable.Get(block + 2) * scales[i];
                for (var j = 0; j < 4; j++)
                {
                    var q4 = Avx.LoadVector256(block + 16 + (32 * j));
                    var q8 = y + (i * QKK) + (64 * j);
                    var lo = Vector256.Sum(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q4 & low, Avx.LoadVector256(q8)), ones));
                    var hi = Vector256.Sum(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.ShiftRightLogical(q4.AsUInt16(), 4).AsByte() & low, Avx.LoadVector256(q8 + 32)), ones));
                    var imin = (mins[2 * j] * (bs[4 * j] + bs[(4 * j) + 1])) + (mins[(2 * j) + 1] * (bs[(4 * j) + 2] + bs[(4 * j) + 3]));
                    acc = MathF.FusedMultiplyAdd((sc[2 * j] * lo) + (sc[(2 * j) + 1] * hi), d, acc);
                    accMin = MathF.FusedMultiplyAdd(imin, dmin, accMin);
                }
            }
        }

        return acc - accMin;
    }

    /// <summary><see cref="Q2_KGemmScalar"/>'s operations with the integer sums taken eight lanes at a time.</summary>
    public static unsafe float Q2_KGemmAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        float acc = 0, accMin = 0;
        var three = Vector256.Create((byte)3);
        var lowNibble = Vector128.Create((byte)0x0F);
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (short* bsp = bsums)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 84);
                var d = HalfTable.Get(block + 80) * scales[i];
                var dmin = HalfTable.Get(block + 82) * scales[i];
                var mins16 = Avx2.ConvertToVector256Int16(Sse2.ShiftRightLogical(Sse2.LoadVector128(block).AsUInt16(), 4).AsByte() & lowNibble);
                var minTerms = Avx2.MultiplyAddAdjacent(mins16, Avx.LoadVector256(bsp + (i * 16)));
                for (var j = 0; j < 2; j++)
                {
                    var isum = Vector256.Sum(Q2KHalf(block, y + (i * QKK), three, j));
                    var imin = minTerms[4 * j] + minTerms[(4 * j) + 1] + minTerms[(4 * j) + 2] + minTerms[(4 * j) + 3];
                    acc = MathF.FusedMultiplyAdd(isum, d, acc);
                    accMin = MathF.FusedMultiplyAdd(imin, dmin, accMin);
                }
            }
        }

        return acc - accMin;
    }

    /// <summary>A Q2_K super-block's scaled integer lane sums (their total is exact in int32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Q2KSums(byte* block, sbyte* q8, Vector256<byte> three) =>
        Q2KHalf(block, q8, three, 0) + Q2KHalf(block, q8, three, 1);

    /// <summary>Half <paramref name="j"/> (128 values, groups 8j..8j + 7) of <see cref="Q2KSums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Q2KHalf(byte* block, sbyte* q8, Vector256<byte> three, int j)
    {
        var sumi = Vector256<int>.Zero;
        var qs = Avx.LoadVector256(block + 16 + (32 * j));
        for (var k = 0; k < 4; k++)
        {
            var q2 = Vector256.ShiftRightLogical(qs.AsUInt16(), 2 * k).AsByte() & three;
            var p = Avx2.MultiplyAddAdjacent(q2, Avx.LoadVector256(q8 + (128 * j) + (32 * k)));
            var sa = (short)(block[(8 * j) + (2 * k)] & 0xF);
            var sb = (short)(block[(8 * j) + (2 * k) + 1] & 0xF);
            sumi += Avx2.MultiplyAddAdjacent(p, Vector256.Create(Vector128.Create(sa), Vector128.Create(sb)));
        }

        return sumi;
    }
}
