using Parity.Engine.Kernels;
using Parity.Engine.Tests.Support;
using Parity.Gguf;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// The engine's Q8_0 block dot products against ggml's own <c>from_float</c> + <c>vec_dot</c> (the runner's
/// <c>vecdot</c> verb), bit for bit, on real weight rows quantized by llama.cpp: the AVX2 kernel and the scalar
/// reference both.
/// </summary>
[TestFixture]
public sealed class BlockDotOracleTests
{
    [TestCase("Q6_K", GgmlType.Q6_K)]
    [TestCase("Q4_K_M", GgmlType.Q4_K)]
    [TestCase("Q5_K_M", GgmlType.Q5_K)]
    [TestCase("Q2_K", GgmlType.Q2_K)]
    [TestCase("Q3_K_M", GgmlType.Q3_K)]
    public async Task K_quant_dots_equal_ggmls_vec_dot_bit_for_bit(string quant, GgmlType type)
    {
        var model = await EngineTestModels.Cache.GetAsync(SyntheticPresets.TinyLlamaMini, quant);
        using var file = GgufFile.Open(model);
        var rng = new Random(23);
        foreach (var t in file.Tensors.Where(x => x.Type == type && x.Name.EndsWith(".weight", StringComparison.Ordinal)).Take(4))
        {
            var name = t.Name;
            var k = (int)t.RowLength;
            var x = RandomActivations(rng, k);
            const int rows = 48;
            var expected = await EngineTestModels.Runner.VecDotAsync(model, name, 0, rows, x, Path.GetTempPath());
            var activations = new Q8_KActivations();
            activations.Quantize(x, 1, k);
            var weights = file.GetTensorBytes(t);
            var rowBytes = (int)t.TypeInfo.RowBytes(k);
            foreach (var avx2 in new[] { true, false })
            {
                Q6KDot.UseAvx2 = Q5KDot.UseAvx2 = Q4KDot.UseAvx2 = Q3KDot.UseAvx2 = Q2KDot.UseAvx2 = avx2 && System.Runtime.Intrinsics.X86.Avx2.IsSupported;
                try
                {
                    for (var r = 0; r < rows; r++)
                    {
                        var row = weights.Slice(r * rowBytes, rowBytes);
                        var actual = type switch
                        {
                            GgmlType.Q4_K => Q4KDot.Row(row, activations.Quants(0, k), activations.Scales(0, k), activations.BlockSums(0, k)),
                            GgmlType.Q5_K => Q5KDot.Row(row, activations.Quants(0, k), activations.Scales(0, k), activations.BlockSums(0, k)),
                            GgmlType.Q2_K => Q2KDot.Row(row, activations.Quants(0, k), activations.Scales(0, k), activations.BlockSums(0, k)),
                            GgmlType.Q3_K => Q3KDot.Row(row, activations.Quants(0, k), activations.Scales(0, k)),
                            _ => Q6KDot.Row(row, activations.Quants(0, k), activations.Scales(0, k), activations.BlockSums(0, k)),
                        };
                        Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r])), $"{name} row {r} ({(avx2 ? "AVX2" : "scalar")}): {actual:R} vs ggml {expected[r]:R}");
                    }
                }
                finally
                {
                    Q6KDot.UseAvx2 = Q5KDot.UseAvx2 = Q4KDot.UseAvx2 = Q3KDot.UseAvx2 = Q2KDot.UseAvx2 = System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;
                }
            }
        }
    }

    private static float[] RandomActivations(Random rng, int k)
    {
        var x = new float[k];
        for (var i = 0; i < k; i++)
        {
            x[i] = (float)((rng.NextDouble() - 0.5) * (i % 97 == 0 ? 12 : 2));
        }

        return x;
    }

    [TestCase("F32")]
    [TestCase("F16")]
    [TestCase("BF16")]
    public async Task Float_weight_dots_equal_ggmls_vec_dot_bit_for_bit(string quant)
    {
        var model = await EngineTestModels.Cache.GetAsync(SyntheticPresets.TinyLlamaMini, quant);
        await AssertFloatDots(model, ["blk.0.attn_q.weight", "blk.1.ffn_down.weight"], new Random(31));
    }

    [Test]
    public async Task F32_dots_with_leftovers_equal_ggmls_vec_dot_on_stories260K()
    {
        // ffn_down rows of 172: 128 in the 4x16-lane loop, 44 leftovers through the compiler's 16-, 8- and 1-wide code.
        var model = SharedFixtures.Require("models/stories260K.gguf");
        await AssertFloatDots(model, ["blk.0.ffn_down.weight", "blk.3.attn_q.weight"], new Random(37));
    }

    private static async Task AssertFloatDots(string model, string[] names, Random rng)
    {
        using var file = GgufFile.Open(model);
        foreach (var name in names)
        {
            var t = file.Tensors.Single(x => x.Name == name);
            var k = (int)t.RowLength;
            var x = RandomActivations(rng, k);
            var rows = (int)Math.Min(48, t.RowCount);
            var expected = await EngineTestModels.Runner.VecDotAsync(model, name, 0, rows, x, Path.GetTempPath());
            var rounded = new float[k];
            if (t.Type == GgmlType.F32)
            {
                x.CopyTo(rounded, 0);
            }
            else
            {
                ActivationRounding.Apply(t.Type, x, rounded);
            }

            var row = new float[k];
            var rowBytes = (int)t.TypeInfo.RowBytes(k);
            var weights = file.GetTensorBytes(t);
            for (var r = 0; r < rows; r++)
            {
                Dequantize.Row(t.Type, weights.Slice(r * rowBytes, rowBytes), row);
                var actual = t.Type switch
                {
                    GgmlType.F32 => FloatDot.F32(row, rounded),
                    GgmlType.F16 => FloatDot.F16(row, rounded),
                    _ => FloatDot.Bf16(row, rounded),
                };
                Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r])), $"{name} ({t.Type}) row {r}: {actual:R} vs ggml {expected[r]:R}");
            }
        }
    }

    [TestCase("Q4_1")]
    [TestCase("Q5_1")]
    public async Task Q8_1_family_dots_equal_ggmls_vec_dot_bit_for_bit(string quant)
    {
        var model = await EngineTestModels.Cache.GetAsync(SyntheticPresets.TinyLlamaMini, quant);
        using var file = GgufFile.Open(model);
        var rng = new Random(29);
        foreach (var t in file.Tensors.Where(x => x.Type is GgmlType.Q4_1 or GgmlType.Q5_1).Take(4))
        {
            var k = (int)t.RowLength;
            var x = RandomActivations(rng, k);
            const int rows = 48;
            var expected = await EngineTestModels.Runner.VecDotAsync(model, t.Name, 0, rows, x, Path.GetTempPath());
            var activations = new Q8_1Activations();
            activations.Quantize(x, 1, k);
            var weights = file.GetTensorBytes(t);
            var rowBytes = (int)t.TypeInfo.RowBytes(k);
            foreach (var avx2 in new[] { true, false })
            {
                Q8_1Dot.UseAvx2 = avx2 && System.Runtime.Intrinsics.X86.Avx2.IsSupported;
                try
                {
                    for (var r = 0; r < rows; r++)
                    {
                        var actual = Q8_1Dot.Row(t.Type, weights.Slice(r * rowBytes, rowBytes), activations.Quants(0, k), activations.Scales(0, k), activations.Sums(0, k));
                        Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r])), $"{t.Name} row {r} ({(avx2 ? "AVX2" : "scalar")}): {actual:R} vs ggml {expected[r]:R}");
                    }
                }
                finally
                {
                    Q8_1Dot.UseAvx2 = System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;
                }
            }
        }
    }

    [TestCase("Q8_0")]
    [TestCase("Q4_0")]
    [TestCase("Q5_0")]
    public async Task Q8_0_family_dots_equal_ggmls_vec_dot_bit_for_bit(string quant)
    {
        var model = await EngineTestModels.Cache.GetAsync(SyntheticPresets.TinyLlamaMini, quant);
        using var file = GgufFile.Open(model);
        var rng = new Random(17);
        foreach (var name in new[] { "blk.0.attn_q.weight", "blk.1.ffn_down.weight", "blk.3.ffn_gate.weight" })
        {
            var t = file.Tensors.Single(x => x.Name == name);
            Assert.That(Q8_0Dot.Supports(t.Type), Is.True, $"{name} is {t.Type}");
            var k = (int)t.RowLength;

            // Activations with an RMSNorm-like spread and a few outliers, as the matmuls see them.
            var x = new float[k];
            for (var i = 0; i < k; i++)
            {
                x[i] = (float)((rng.NextDouble() - 0.5) * (i % 97 == 0 ? 12 : 2));
            }

            const int rows = 48;
            var expected = await EngineTestModels.Runner.VecDotAsync(model, name, 0, rows, x, Path.GetTempPath());
            var activations = new Q8_0Activations();
            activations.Quantize(x, 1, k);
            var weights = file.GetTensorBytes(t);
            var rowBytes = (int)t.TypeInfo.RowBytes(k);
            foreach (var avx2 in new[] { true, false })
            {
                Q8_0Dot.UseAvx2 = avx2 && System.Runtime.Intrinsics.X86.Avx2.IsSupported;
                try
                {
                    for (var r = 0; r < rows; r++)
                    {
                        var actual = Q8_0Dot.Row(t.Type, weights.Slice(r * rowBytes, rowBytes), activations.Quants(0, k), activations.Scales(0, k));
                        Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r])), $"{name} row {r} ({(Q8_0Dot.UseAvx2 ? "AVX2" : "scalar")}): {actual:R} vs ggml {expected[r]:R}");
                    }
                }
                finally
                {
                    Q8_0Dot.UseAvx2 = System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;
                }
            }
        }
    }
}
