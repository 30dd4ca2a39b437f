using Parity.Engine.Kernels;
using Parity.Gguf;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// The products of llama.cpp's repacked weights (<see cref="RepackedDot"/>): each AVX2 kernel against its scalar
/// reference bit for bit, the float order written out by hand on small rows, the value against an independent
/// evaluation in double, and the GEMM's four-row Q8_K tiles' choice of sign. Bit-identity with llama.cpp itself is
/// shown end to end by the ci suite's <c>mini-repack-*</c> cases.
/// </summary>
[TestFixture]
public sealed class RepackedDotTests
{
    private delegate float KQuantKernel(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums);

    [Test]
    public void The_q4_0_avx2_kernel_equals_the_scalar_reference_bit_for_bit()
    {
        RequireAvx2();
        var rng = new Random(11);
        foreach (var blocks in new[] { 1, 2, 3, 32, 88 })
        {
            var weights = RandomBlocks(rng, blocks, 18, 0);
            var x = RandomFloats(rng, blocks * 32);
            var acts = new Q8_0Activations();
            acts.Quantize(x, 1, x.Length);
            var vector = RepackedDot.Q4_0Avx2(weights, acts.Quants(0, x.Length), acts.Scales(0, x.Length));
            var scalar = RepackedDot.Q4_0Scalar(weights, acts.Quants(0, x.Length), acts.Scales(0, x.Length));
            Assert.That(Bits(vector), Is.EqualTo(Bits(scalar)), $"{blocks} blocks");
        }
    }

    [TestCase("q4_K gemv")]
    [TestCase("q4_K gemm")]
    [TestCase("q2_K gemv")]
    [TestCase("q2_K gemm")]
    public void The_k_quant_avx2_kernels_equal_their_scalar_references_bit_for_bit(string kernel)
    {
        RequireAvx2();
        var (blockBytes, halfAt, vector, scalar) = KQuant(kernel);
        var rng = new Random(13);
        foreach (var blocks in new[] { 1, 2, 4, 11 })
        {
            var weights = RandomBlocks(rng, blocks, blockBytes, halfAt, 2);
            var x = RandomFloats(rng, blocks * 256);
            var acts = new Q8_KActivations();
            acts.Quantize(x, 1, x.Length);
            var v = vector(weights, acts.Quants(0, x.Length), acts.Scales(0, x.Length), acts.BlockSums(0, x.Length));
            var s = scalar(weights, acts.Quants(0, x.Length), acts.Scales(0, x.Length), acts.BlockSums(0, x.Length));
            Assert.That(Bits(v), Is.EqualTo(Bits(s)), $"{kernel}, {blocks} super-blocks");
        }
    }

    [TestCase("q4_0", 19)]
    [TestCase("q4_0", 8)]
    [TestCase("q4_K gemv", 19)]
    [TestCase("q4_K gemm", 19)]
    [TestCase("q4_K gemm", 16)]
    [TestCase("q2_K gemv", 19)]
    [TestCase("q2_K gemm", 19)]
    public void Eight_rows_at_a_time_give_each_row_the_scalar_references_bits(string kernel, int rowCount)
    {
        var rng = new Random(23);
        var q4_0 = kernel == "q4_0";
        var q2 = kernel.StartsWith("q2_K", StringComparison.Ordinal);
        var (blockBytes, halfAt, blocks, k) = q4_0 ? (18, 0, 12, 32) : q2 ? (84, 80, 3, 256) : (144, 0, 3, 256);
        var rows = RandomBlocks(rng, rowCount * blocks, blockBytes, halfAt, q4_0 ? 1 : 2);
        var rowBytes = blocks * blockBytes;
        var x = RandomFloats(rng, blocks * k);
        var results = new float[rowCount];
        if (q4_0)
        {
            var acts = new Q8_0Activations();
            acts.Quantize(x, 1, x.Length);
            RepackedDot.RowsQ4_0(rows, rowBytes, acts.Row(0, x.Length), results);
            for (var r = 0; r < rowCount; r++)
            {
                var expected = RepackedDot.Q4_0Scalar(rows.AsSpan(r * rowBytes, rowBytes), acts.Quants(0, x.Length), acts.Scales(0, x.Length));
                Assert.That(Bits(results[r]), Is.EqualTo(Bits(expected)), $"row {r}");
            }

            return;
        }

        var kacts = new Q8_KActivations();
        kacts.Quantize(x, 1, x.Length);
        var gemm = kernel.EndsWith("gemm", StringComparison.Ordinal);
        VecDotKernel rowsKernel = (q2, gemm) switch
        {
            (true, true) => RepackedDot.GemmRowsQ2_K,
            (true, false) => RepackedDot.RowsQ2_K,
            (false, true) => RepackedDot.GemmRowsQ4_K,
            _ => RepackedDot.RowsQ4_K,
        };
        var (_, _, _, scalar) = KQuant(kernel);
        rowsKernel(rows, rowBytes, kacts.Row(0, x.Length), results);
        for (var r = 0; r < rowCount; r++)
        {
            var row = rows.AsSpan(r * rowBytes, rowBytes);
            var expected = scalar(row, kacts.Quants(0, x.Length), kacts.Scales(0, x.Length), kacts.BlockSums(0, x.Length));
            Assert.That(Bits(results[r]), Is.EqualTo(Bits(expected)), $"{kernel}, row {r}");
        }
    }

    [TestCase("q4_0")]
    [TestCase("q4_K gemv")]
    [TestCase("q4_K gemm")]
    [TestCase("q2_K gemv")]
    [TestCase("q2_K gemm")]
    public void Each_product_is_the_dot_of_the_dequantized_weights_with_the_quantized_activations(string kernel)
    {
        var rng = new Random(17);
        var k = kernel == "q4_0" ? 32 : 256;
        var type = kernel switch { "q4_0" => GgmlType.Q4_0, _ when kernel.StartsWith("q4_K", StringComparison.Ordinal) => GgmlType.Q4_K, _ => GgmlType.Q2_K };
        var blocks = kernel == "q4_0" ? 40 : 5;
        var (blockBytes, halfAt, _, scalarK) = kernel == "q4_0" ? (18, 0, null!, null!) : KQuant(kernel);
        var weights = RandomBlocks(rng, blocks, blockBytes, halfAt, kernel == "q4_0" ? 1 : 2);
        var x = RandomFloats(rng, blocks * k);
        var w = new float[x.Length];
        Dequantize.Row(type, weights, w);

        float result;
        double exact = 0, magnitude = 0;
        if (kernel == "q4_0")
        {
            var acts = new Q8_0Activations();
            acts.Quantize(x, 1, x.Length);
            result = RepackedDot.Q4_0Scalar(weights, acts.Quants(0, x.Length), acts.Scales(0, x.Length));
            for (var i = 0; i < w.Length; i++)
            {
                var term = (double)w[i] * acts.Quants(0, x.Length)[i] * acts.Scales(0, x.Length)[i / 32];
                exact += term;
                magnitude += Math.Abs(term);
            }
        }
        else
        {
            var acts = new Q8_KActivations();
            acts.Quantize(x, 1, x.Length);
            result = scalarK(weights, acts.Quants(0, x.Length), acts.Scales(0, x.Length), acts.BlockSums(0, x.Length));
            for (var i = 0; i < w.Length; i++)
            {
                var term = (double)w[i] * acts.Quants(0, x.Length)[i] * acts.Scales(0, x.Length)[i / 256];
                exact += term;
                magnitude += Math.Abs(term);
            }
        }

        // Float sums of block products: within a few float roundings of the terms' total magnitude.
        Assert.That(result, Is.EqualTo(exact).Within(1e-5 * magnitude), kernel);
    }

    [Test]
    public void The_q4_0_product_is_one_fma_per_block_in_block_order_with_no_final_reduction()
    {
        // Two blocks, every nibble 9 (value 1) and every activation quant 1: isum = 32 per block.
        var weights = new byte[36];
        weights.AsSpan().Fill(0x99);
        BitConverter.TryWriteBytes(weights.AsSpan(0), (Half)0.1f);
        BitConverter.TryWriteBytes(weights.AsSpan(18), (Half)0.3f);
        var quants = new sbyte[64];
        quants.AsSpan().Fill(1);
        float[] scales = [0.7f, 1.3f];

        var d0 = (float)(Half)0.1f * scales[0];
        var d1 = (float)(Half)0.3f * scales[1];
        var expected = MathF.FusedMultiplyAdd(32, d1, MathF.FusedMultiplyAdd(32, d0, 0f));
        Assert.That(Bits(RepackedDot.Q4_0Scalar(weights, quants, scales)), Is.EqualTo(Bits(expected)));
    }

    [Test]
    public void The_q4_K_gemm_takes_one_fma_per_64_values_where_the_gemv_takes_one_per_super_block()
    {
        var rng = new Random(19);
        var weights = RandomBlocks(rng, 3, 144, 0, 2);
        var x = RandomFloats(rng, 3 * 256);
        var acts = new Q8_KActivations();
        acts.Quantize(x, 1, x.Length);
        var (q, s, b) = (acts.Quants(0, x.Length).ToArray(), acts.Scales(0, x.Length).ToArray(), acts.BlockSums(0, x.Length).ToArray());

        // Written out from the block layout: scales and mins of sub-block j, nibbles of 64-value group j.
        float acc = 0, accMin = 0, accStep = 0, accMinStep = 0;
        Span<byte> sc = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        for (var i = 0; i < 3; i++)
        {
            var block = weights.AsSpan(i * 144, 144);
            KQuantScales.ScalesAndMins(block.Slice(4, 12), sc, mins);
            var d = (float)BitConverter.ToHalf(block) * s[i];
            var dmin = (float)BitConverter.ToHalf(block[2..]) * s[i];
            int isum = 0, imin = 0;
            for (var j = 0; j < 4; j++)
            {
                int lo = 0, hi = 0;
                for (var e = 0; e < 32; e++)
                {
                    lo += (block[16 + (32 * j) + e] & 15) * q[(256 * i) + (64 * j) + e];
                    hi += (block[16 + (32 * j) + e] >> 4) * q[(256 * i) + (64 * j) + 32 + e];
                }

                var stepMin = (mins[2 * j] * (b[(16 * i) + (4 * j)] + b[(16 * i) + (4 * j) + 1])) + (mins[(2 * j) + 1] * (b[(16 * i) + (4 * j) + 2] + b[(16 * i) + (4 * j) + 3]));
                var stepSum = (sc[2 * j] * lo) + (sc[(2 * j) + 1] * hi);
                isum += stepSum;
                imin += stepMin;
                accStep = MathF.FusedMultiplyAdd(stepSum, d, accStep);
                accMinStep = MathF.FusedMultiplyAdd(stepMin, dmin, accMinStep);
            }

            acc = MathF.FusedMultiplyAdd(isum, d, acc);
            accMin = MathF.FusedMultiplyAdd(imin, dmin, accMin);
        }

        Assert.That(Bits(RepackedDot.Q4_KScalar(weights, q, s, b)), Is.EqualTo(Bits(acc - accMin)), "gemv");
        Assert.That(Bits(RepackedDot.Q4_KGemmScalar(weights, q, s, b)), Is.EqualTo(Bits(accStep - accMinStep)), "gemm");
    }

    [Test]
    public void The_gemms_four_row_tiles_take_plus_amax_as_max_wherever_it_is_and_the_rows_left_over_the_first()
    {
        // Every row of 256 holds -2 first and +2 later: the reference quantizer takes the first (-2), the tile +2.
        var x = new float[5 * 256];
        for (var r = 0; r < 5; r++)
        {
            x[r * 256] = -2f;
            x[(r * 256) + 100] = 2f;
            x[(r * 256) + 7] = 0.5f;
        }

        var tiled = new Q8_KActivations(fourRowTiles: true);
        tiled.Quantize(x, 5, 256);
        var plain = new Q8_KActivations();
        plain.Quantize(x, 5, 256);
        for (var r = 0; r < 5; r++)
        {
            Assert.That(plain.Scales(r, 256)[0], Is.GreaterThan(0f), $"row {r}: the reference's max is the first, -2");
            Assert.That(plain.Quants(r, 256)[0], Is.EqualTo(-127), $"row {r}");
        }

        for (var r = 0; r < 4; r++)
        {
            Assert.That(tiled.Scales(r, 256)[0], Is.EqualTo(-plain.Scales(r, 256)[0]), $"row {r} is in a tile: max +2");
            Assert.That(tiled.Quants(r, 256)[100], Is.EqualTo(-127), $"row {r}");
            Assert.That(tiled.Quants(r, 256)[0], Is.EqualTo(127), $"row {r}");
        }

        Assert.That(tiled.Scales(4, 256)[0], Is.EqualTo(plain.Scales(4, 256)[0]), "row 4 is left over: quantized as the reference does");
        Assert.That(tiled.Quants(4, 256).ToArray(), Is.EqualTo(plain.Quants(4, 256).ToArray()));
    }

    [Test]
    public void The_avx512_table_repacks_q4_0_q4_K_and_q2_K_and_the_avx2_table_not_q2_K()
    {
        var avx512 = GgmlTypeTable.For(GgmlVariant.Avx512);
        var avx2 = GgmlTypeTable.For(GgmlVariant.Avx2);
        Assert.That(avx512.Rows.Where(r => r.Repacked is not null).Select(r => r.Repacked!.Name), Is.EquivalentTo(new[] { "q4_0_8x8_q8_0", "q2_K_8x8_q8_K", "q4_K_8x8_q8_K" }));
        Assert.That(avx2.Rows.Where(r => r.Repacked is not null).Select(r => r.Repacked!.Name), Is.EquivalentTo(new[] { "q4_0_8x8_q8_0", "q4_K_8x8_q8_K" }));
        Assert.That(GgmlTypeTable.For(GgmlVariant.Avx).Rows.Any(r => r.Repacked is not null), Is.False, "the AVX build has no AVX2: nothing is repacked");
        Assert.That(avx512[GgmlType.Q4_K].Repacked!.Takes(2816), Is.True);
        Assert.That(avx512[GgmlType.Q4_K].Repacked!.Takes(2820), Is.False, "rows not a multiple of 8 stay plain");
    }

    private static (int BlockBytes, int HalfAt, KQuantKernel Vector, KQuantKernel Scalar) KQuant(string kernel) => kernel switch
    {
        "q4_K gemv" => (144, 0, RepackedDot.Q4_KAvx2, RepackedDot.Q4_KScalar),
        "q4_K gemm" => (144, 0, RepackedDot.Q4_KGemmAvx2, RepackedDot.Q4_KGemmScalar),
        "q2_K gemv" => (84, 80, RepackedDot.Q2_KAvx2, RepackedDot.Q2_KScalar),
        _ => (84, 80, RepackedDot.Q2_KGemmAvx2, RepackedDot.Q2_KGemmScalar),
    };

    private static void RequireAvx2()
    {
        if (!RepackedDot.UseAvx2)
        {
            Assert.Ignore("no AVX2 here: the scalar references are the kernels in use");
        }
    }

    private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);

    /// <summary>Random blocks whose <paramref name="halves"/> F16 scales at <paramref name="halfAt"/> are small and finite.</summary>
    private static byte[] RandomBlocks(Random rng, int blocks, int blockBytes, int halfAt, int halves = 1)
    {
        var bytes = new byte[blocks * blockBytes];
        rng.NextBytes(bytes);
        for (var b = 0; b < blocks; b++)
        {
            for (var h = 0; h < halves; h++)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan((b * blockBytes) + halfAt + (2 * h)), (Half)(rng.NextDouble() * 0.02));
            }
        }

        return bytes;
    }

    private static float[] RandomFloats(Random rng, int n)
    {
        var x = new float[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = (float)(rng.NextDouble() - 0.5) * 4;
        }

        return x;
    }
}
