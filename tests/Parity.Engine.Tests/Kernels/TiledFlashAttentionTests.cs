using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// Flash attention's tiled row kernel against what it computes: the vector score GEMM lane for lane against its scalar
/// reference, the softmax-weighted sum of the attended cells over several tiles (in float, up to rounding), the masked
/// cells ignored, a rising maximum rescaling the running state, and one tile's sum as ggml's chunked double sum. Its
/// bit-identity with llama.cpp is tested end to end (<c>RunCommandTests</c>, the ci suite's tiled flash cases).
/// </summary>
[TestFixture]
public sealed class TiledFlashAttentionTests
{
    // Float accumulation over up to a few hundred cells: roundings of values of order 1.
    private const double FloatAccumulationBound = 1e-5;

    private static readonly VariantKernels[] Variants = [VariantKernels.Avx512, VariantKernels.Avx2];

    [Test]
    public void The_vector_scores_equal_the_scalar_fma_chain_for_every_tile_length([Values(16, 64, 96, 128)] int headDim)
    {
        var random = new Random(headDim);
        var q = Floats(random, headDim);
        const int Tile = TiledFlashAttention.KvTile;
        var keysT = Floats(random, headDim * Tile);
        for (var cells = 1; cells <= Tile; cells++)
        {
            var scores = new float[cells];
            TiledFlashAttention.Dots(q, keysT, Tile, scores);
            var key = new float[headDim];
            for (var j = 0; j < cells; j++)
            {
                for (var d = 0; d < headDim; d++)
                {
                    key[d] = keysT[(d * Tile) + j];
                }

                Assert.That(scores[j], Is.EqualTo(TiledFlashAttention.Dot(q, key)), $"cells {cells}, cell {j}");
            }
        }
    }

    [Test]
    public void The_scalar_score_is_one_fused_multiply_add_per_element_in_order()
    {
        // (1 + 2^-12)² = 1 + 2^-11 + 2^-24 is not a float: fused onto -1 it keeps its 2^-24, a rounded product loses it.
        var a = 1 + MathF.Pow(2, -12);
        float[] q = [1, a];
        float[] k = [-1, a];
        Assert.That(TiledFlashAttention.Dot(q, k), Is.EqualTo(MathF.Pow(2, -11) + MathF.Pow(2, -24)));
    }

    [TestCase(1, 0, 1)]
    [TestCase(100, 0, 100)]
    [TestCase(200, 37, 171)]
    [TestCase(300, 130, 300)]
    public void A_row_is_the_softmax_weighted_sum_of_the_attended_values(int cells, int first, int end)
    {
        foreach (var ggml in Variants)
        {
            var (dots, values) = Cells(cells, 64, seed: cells + first);
            var output = Row(dots, first, end, 0.125f, 0, values, 64, ggml);
            var expected = Reference(dots, first, end, 0.125f, 0, values, 64);
            Assert.That(output.Zip(expected).Max(p => Math.Abs(p.First - p.Second)), Is.LessThan(FloatAccumulationBound), ggml.Variant.Name());
        }
    }

    [Test]
    public void A_soft_capped_row_applies_tanh_of_the_score_over_the_cap_times_the_cap()
    {
        var (dots, values) = Cells(150, 32, seed: 5);
        for (var i = 0; i < dots.Length; i++)
        {
            dots[i] *= 40;
        }

        var output = Row(dots, 0, 150, 1.0f, 50f, values, 32, VariantKernels.Avx512);
        var expected = Reference(dots, 0, 150, 1.0f, 50f, values, 32);
        Assert.That(output.Zip(expected).Max(p => Math.Abs(p.First - p.Second)), Is.LessThan(FloatAccumulationBound));
    }

    [Test]
    public void Cells_outside_the_window_change_nothing()
    {
        var (dots, values) = Cells(200, 16, seed: 3);
        var a = Row(dots, 70, 150, 0.25f, 0, values, 16, VariantKernels.Avx512);
        for (var j = 0; j < 200; j++)
        {
            if (j is < 70 or >= 150)
            {
                dots[j] = 1000f;
                values.AsSpan(j * 16, 16).Fill(j < 64 || j >= 192 ? float.NaN : 0f);
            }
        }

        var b = Row(dots, 70, 150, 0.25f, 0, values, 16, VariantKernels.Avx512);
        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void A_maximum_rising_in_a_later_tile_rescales_the_sum_and_accumulator_by_expf()
    {
        // Cell 0 in the first tile, cell 64 (a larger score) alone in the second: after the first tile S = 1, acc = V0;
        // then ms = expf(s0 − s64) scales both, the second tile adds exp(0) = 1 and V64.
        var dots = new float[65];
        var values = new float[65 * 16];
        dots[0] = 0.5f;
        dots[64] = 2.0f;
        for (var d = 0; d < 16; d++)
        {
            values[d] = d + 1;
            values[(64 * 16) + d] = -d;
        }

        var output = new float[16];
        var row = Enumerable.Range(0, 65).Select(j => j is 0 or 64 ? dots[j] : 0f).ToArray();
        TiledFlashAttention.Row(row, 0, 65, 1.0f, 0, values, 16, 0, VariantKernels.Avx512, new float[64], new float[16], output);

        // Cells 1..63 are attended too (score 0, below cell 0's): that tile's sum and accumulator include them.
        var tile0 = Enumerable.Range(0, 64).Select(j => GgmlExp.Exp(row[j] - 0.5f)).ToArray();
        var sum0 = (float)(double)(Avx512ChunkedSum(tile0));
        var ms = MathF.Exp(0.5f - 2.0f);
        var expected = new float[16];
        for (var d = 0; d < 16; d++)
        {
            var acc = 0f;
            for (var j = 0; j < 64; j++)
            {
                acc = MathF.FusedMultiplyAdd(values[(j * 16) + d], tile0[j], acc);
            }

            acc = MathF.FusedMultiplyAdd(values[(64 * 16) + d], 1.0f, acc * ms);
            expected[d] = acc;
        }

        var s = (float)((sum0 * ms) + 1.0);
        var inv = 1.0f / s;
        Assert.That(output, Is.EqualTo(expected.Select(x => x * inv).ToArray()));
    }

    [Test]
    public void A_row_with_no_attended_cell_is_zero()
    {
        var output = new float[8];
        output.AsSpan().Fill(3f);
        TiledFlashAttention.Row(new float[70], 66, 66, 1.0f, 0, new float[70 * 8], 8, 0, VariantKernels.Avx512, new float[64], new float[8], output);
        Assert.That(output, Is.All.EqualTo(0f));
    }

    [Test]
    public void The_vector_row_equals_the_scalar_reference_bit_for_bit([Values(16, 32, 64, 80, 96, 128)] int dv, [Values(1f, 30f)] float spread)
    {
        // A spread of 30 puts scores more than 87 below the maximum, where the vector exp hands its chunk to the scalar one.
        var (dots, values) = Cells(300, dv, seed: dv);
        for (var i = 0; i < dots.Length; i++)
        {
            dots[i] *= spread;
        }

        foreach (var ggml in Variants)
        {
            var vector = new float[dv];
            var scalar = new float[dv];
            TiledFlashAttention.Row(dots, 37, 290, 0.125f, 0, values, dv, 0, ggml, new float[TiledFlashAttention.KvTile], new float[dv], vector);
            TiledFlashAttention.RowScalar(dots, 37, 290, 0.125f, 0, values, dv, 0, ggml, new float[TiledFlashAttention.KvTile], new float[dv], scalar);
            Assert.That(vector.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(scalar.Select(BitConverter.SingleToInt32Bits)), ggml.Variant.Name());
        }
    }

    // _mm512_reduce_add_ps of each 16-lane chunk of the tile, summed in double (ggml_vec_soft_max_f32 on AVX-512).
    private static double Avx512ChunkedSum(float[] tile)
    {
        var sum = 0.0;
        for (var c = 0; c < tile.Length; c += 16)
        {
            sum += VariantKernels.Avx512.ChunkSum(tile.AsSpan(c, 16));
        }

        return sum;
    }

    private static float[] Row(float[] dots, int first, int end, float scale, float cap, float[] values, int dv, VariantKernels ggml)
    {
        var output = new float[dv];
        TiledFlashAttention.Row(dots, first, end, scale, cap, values, dv, 0, ggml, new float[TiledFlashAttention.KvTile], new float[dv], output);
        return output;
    }

    private static float[] Floats(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];

    private static (float[] Dots, float[] Values) Cells(int cells, int dv, int seed)
    {
        var random = new Random(seed);
        var dots = Enumerable.Range(0, cells).Select(_ => (float)((random.NextDouble() * 8) - 4)).ToArray();
        return (dots, Floats(random, cells * dv));
    }

    private static double[] Reference(float[] dots, int first, int end, float scale, float cap, float[] values, int dv)
    {
        var s = Enumerable.Range(first, end - first).Select(j => cap == 0 ? dots[j] * (double)scale : cap * Math.Tanh(dots[j] * (double)scale / cap)).ToArray();
        var max = s.Max();
        var p = s.Select(x => Math.Exp(x - max)).ToArray();
        var total = p.Sum();
        var output = new double[dv];
        for (var j = 0; j < p.Length; j++)
        {
            for (var d = 0; d < dv; d++)
            {
                output[d] += p[j] / total * values[((first + j) * dv) + d];
            }
        }

        return output;
    }
}
