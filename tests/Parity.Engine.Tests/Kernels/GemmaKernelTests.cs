using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// The ops Gemma adds: the GELU table (ggml's <c>GGML_GELU_FP16</c>), GEGLU's ranges, the soft-cap's scale and tanh,
/// and the softmax over a sliding window. Their agreement with llama.cpp is tested end to end (FamilyTests); these pin
/// the facts the kernels rest on.
/// </summary>
[TestFixture]
public sealed class GemmaKernelTests
{
    [Test]
    public void The_gelu_table_is_the_formula_rounded_to_half_for_every_finite_half()
    {
        // The table's one fused multiply-add moves an entry by at most one half ulp: never more than the rounding.
        for (var bits = 0; bits < 1 << 16; bits++)
        {
            var x = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            if (!float.IsFinite(x) || Math.Abs(x) > 10)
            {
                continue;
            }

            var exact = (double)Geglu.Gelu(x);
            var entry = Geglu.TableEntry((ushort)bits);
            var ulp = Math.Max(Math.Abs((double)Half.BitIncrement((Half)exact) - (double)(Half)exact), 6e-8);
            Assert.That(Math.Abs(entry - exact), Is.LessThanOrEqualTo(ulp), $"x = {x}");
        }
    }

    [Test]
    public void Geglu_takes_zero_below_minus_ten_the_gate_above_ten_and_the_table_between()
    {
        float[] gate = [-10.5f, -10f, 10f, 12f, 0.7f, -0.3f];
        float[] up = [2f, 2f, 3f, 0.5f, 1.5f, -4f];
        var y = new float[gate.Length];
        Geglu.Apply(gate, up, y, ggml: true);
        Assert.That(y[..4], Is.EqualTo(new[] { 0f, 0f, 30f, 6f }));
        Assert.That(y[4], Is.EqualTo(Geglu.TableEntry(BitConverter.HalfToUInt16Bits((Half)0.7f)) * 1.5f));
        Assert.That(y[5], Is.EqualTo(Geglu.TableEntry(BitConverter.HalfToUInt16Bits((Half)(-0.3f))) * -4f));
    }

    [Test]
    public void The_soft_cap_is_a_float_multiply_libm_tanh_and_a_float_multiply()
    {
        float[] x = [-120f, -3.5f, 0f, 0.25f, 49f, 500f];
        var expected = x.Select(v => MathF.Tanh(v * (1.0f / 50f)) * 50f).ToArray();
        SoftCap.Scale(x, 1.0f / 50f);
        SoftCap.Tanh(x);
        SoftCap.Scale(x, 50f);
        Assert.That(x, Is.EqualTo(expected));
        Assert.That(x.All(v => Math.Abs(v) <= 50f));
    }

    [TestCase(0, 9)]
    [TestCase(3, 9)]
    [TestCase(17, 40)]
    [TestCase(31, 33)]
    public void A_windowed_softmax_equals_the_full_row_with_the_cells_before_the_window_masked(int first, int visible)
    {
        var rng = new Random(first + visible);
        var x = Enumerable.Range(0, 48).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
        foreach (var ggml in new[] { null, VariantKernels.Avx512, VariantKernels.Avx2 })
        {
            var windowed = new float[x.Length];
            Softmax.MaskedRow(x, 0.5f, first, visible, windowed, ggml);

            // the same row with -inf before the window: exp gives 0 in those lanes, as ggml's masked cells do
            var masked = (float[])x.Clone();
            Array.Fill(masked, float.NegativeInfinity, 0, first);
            var reference = new float[x.Length];
            Softmax.MaskedRow(masked, 0.5f, visible, reference, ggml);
            Assert.That(windowed, Is.EqualTo(reference), ggml?.Variant.ToString() ?? "libm");
            Assert.That(windowed[..first].All(v => v == 0) && windowed[visible..].All(v => v == 0));
        }
    }
}
