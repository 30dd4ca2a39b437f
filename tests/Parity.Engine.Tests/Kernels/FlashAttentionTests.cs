using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// Flash attention's row kernel against what it computes: the softmax-weighted sum of the attended cells (in float, up
/// to rounding), ggml's half-precision accumulator step by step, the masked cells ignored, and the split-KV merge. Its
/// bit-identity with llama.cpp is tested end to end (<c>parity run --flash-attn on</c>, the ci suite's flash cases).
/// </summary>
[TestFixture]
public sealed class FlashAttentionTests
{
    // Float accumulation over a few dozen cells: a handful of roundings of values of order 1.
    private const double FloatAccumulationBound = 1e-5;

    [TestCase(1, 64)]
    [TestCase(7, 64)]
    [TestCase(40, 96)]
    public void A_float_row_is_the_softmax_weighted_sum_of_the_values(int cells, int dv)
    {
        var (dots, values) = Cells(cells, dv, seed: cells);
        var output = new float[dv];
        FlashAttention.Row(dots, 0, cells, 0.125f, 0, values, dv, 0, halfAccumulator: false, new float[dv], output);
        var expected = Reference(dots, 0, cells, 0.125f, 0, values, dv);
        Assert.That(output.Zip(expected).Max(p => Math.Abs(p.First - p.Second)), Is.LessThan(FloatAccumulationBound));
    }

    [Test]
    public void A_soft_capped_row_applies_cap_tanh_of_the_score_over_the_cap()
    {
        var (dots, values) = Cells(12, 32, seed: 5);
        for (var i = 0; i < dots.Length; i++)
        {
            dots[i] *= 40;
        }

        var output = new float[32];
        FlashAttention.Row(dots, 0, 12, 1.0f, 50f, values, 32, 0, halfAccumulator: false, new float[32], output);
        var expected = Reference(dots, 0, 12, 1.0f, 50f, values, 32);
        Assert.That(output.Zip(expected).Max(p => Math.Abs(p.First - p.Second)), Is.LessThan(FloatAccumulationBound));
    }

    [Test]
    public void Cells_outside_the_window_change_nothing()
    {
        var (dots, values) = Cells(20, 16, seed: 3);
        var a = new float[16];
        FlashAttention.Row(dots, 4, 15, 0.25f, 0, values, 16, 0, halfAccumulator: true, new float[16], a);
        for (var j = 0; j < 20; j++)
        {
            if (j is < 4 or >= 15)
            {
                dots[j] = 1000f;
                values.AsSpan(j * 16, 16).Fill(float.NaN);
            }
        }

        var b = new float[16];
        FlashAttention.Row(dots, 4, 15, 0.25f, 0, values, 16, 0, halfAccumulator: true, new float[16], b);
        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void The_half_accumulator_rounds_after_every_rescale_and_multiply_add()
    {
        // Two cells, the second a new maximum: acc = half(V0); acc = half(half(acc * ms) + V1); S = 1 * ms + 1.
        float[] dots = [0.3f, 1.1f];
        float[] values = [0.1f, -2.7f, 1e-3f, 5.5f];
        HalfRounding.RoundScalar(values, values);
        var ms = MathF.Exp(0.3f - 1.1f);
        var expected = new float[2];
        for (var d = 0; d < 2; d++)
        {
            var acc = (float)(Half)MathF.FusedMultiplyAdd(values[d], 1.0f, 0f);
            acc = (float)(Half)(acc * ms);
            acc = (float)(Half)MathF.FusedMultiplyAdd(values[2 + d], 1.0f, acc);
            expected[d] = acc * (1.0f / ((1.0f * ms) + 1.0f));
        }

        var output = new float[2];
        FlashAttention.Row(dots, 0, 2, 1.0f, 0, values, 2, 0, halfAccumulator: true, new float[2], output);
        Assert.That(output, Is.EqualTo(expected));
    }

    [Test]
    public void A_row_with_no_attended_cell_is_zero()
    {
        var output = new float[8];
        output.AsSpan().Fill(3f);
        FlashAttention.Row(new float[4], 2, 2, 1.0f, 0, new float[32], 8, 0, halfAccumulator: true, new float[8], output);
        Assert.That(output, Is.All.EqualTo(0f));
    }

    [TestCase(2)]
    [TestCase(3)]
    public void Merged_chunks_equal_the_whole_row_up_to_rounding_and_an_empty_chunk_is_skipped(int chunks)
    {
        const int cells = 30, dv = 24;
        var (dots, values) = Cells(cells, dv, seed: 11);
        var whole = new float[dv];
        FlashAttention.Row(dots, 0, cells, 0.2f, 0, values, dv, 0, halfAccumulator: false, new float[dv], whole);

        var final = new float[dv];
        var chunk = new float[dv];
        float m = float.NegativeInfinity, sum = 0;
        var size = (cells + chunks - 1) / chunks;
        for (var c = 0; c < chunks; c++)
        {
            var (cm, cs) = FlashAttention.Accumulate(dots, c * size, Math.Min(cells, (c + 1) * size), 0.2f, 0, values, dv, 0, false, chunk);
            FlashAttention.MergeChunk(ref m, ref sum, final, cm, cs, chunk);
            var (em, es) = FlashAttention.Accumulate(dots, 0, 0, 0.2f, 0, values, dv, 0, false, chunk);
            Assert.That((em, es), Is.EqualTo((float.NegativeInfinity, 0f)));
            FlashAttention.MergeChunk(ref m, ref sum, final, em, es, chunk);
        }

        var merged = new float[dv];
        FlashAttention.Normalize(final, sum, merged);
        Assert.That(merged.Zip(whole).Max(p => Math.Abs(p.First - p.Second)), Is.LessThan(FloatAccumulationBound));
    }

    [Test]
    public void The_vector_accumulator_equals_the_scalar_reference_bit_for_bit([Values(1, 7, 8, 15, 16, 31, 64, 80, 96, 130)] int dv, [Values] bool half, [Values(0f, 30f)] float softCap)
    {
        var (dots, values) = Cells(300, dv, seed: dv);
        var random = new Random(dv + 1);
        for (var i = 0; i < values.Length; i++)
        {
            // Magnitudes from 1 down to 1e-7, so a half accumulator passes through half's subnormals.
            values[i] *= MathF.Pow(10, -7 * random.NextSingle());
        }

        if (half)
        {
            HalfRounding.RoundScalar(values, values);
        }

        var vector = new float[dv];
        var scalar = new float[dv];
        var v = FlashAttention.Accumulate(dots, 3, 290, 0.7f, softCap, values, dv, 0, half, vector);
        var s = FlashAttention.AccumulateScalar(dots, 3, 290, 0.7f, softCap, values, dv, 0, half, scalar);
        Assert.That(v, Is.EqualTo(s));
        Assert.That(vector.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(scalar.Select(BitConverter.SingleToInt32Bits)));
    }

    private static (float[] Dots, float[] Values) Cells(int cells, int dv, int seed)
    {
        var random = new Random(seed);
        var dots = Enumerable.Range(0, cells).Select(_ => (float)((random.NextDouble() * 8) - 4)).ToArray();
        var values = Enumerable.Range(0, cells * dv).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        return (dots, values);
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
