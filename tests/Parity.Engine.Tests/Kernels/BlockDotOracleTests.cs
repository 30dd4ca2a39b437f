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
            foreach (var avx2 in Variants)
            {
                for (var r = 0; r < rows; r++)
                {
                    var actual = KQuantDot(type, avx2, weights.Slice(r * rowBytes, rowBytes), activations.Row(0, k));
                    Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r])), $"{name} row {r} ({(avx2 ? "AVX2" : "scalar")}): {actual:R} vs ggml {expected[r]:R}");
                }
            }
        }
    }

    /// <summary>The scalar reference, and the AVX2 kernel where this machine runs it: each is held to ggml's bits.</summary>
    private static bool[] Variants => System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported ? [true, false] : [false];

    private static float KQuantDot(GgmlType type, bool avx2, ReadOnlySpan<byte> row, ActivationRow y) => (type, avx2) switch
    {
        (GgmlType.Q2_K, true) => Q2KDot.RowAvx2(row, y.Quants, y.Scales, y.BlockSums),
        (GgmlType.Q2_K, false) => Q2KDot.RowScalar(row, y.Quants, y.Scales, y.BlockSums),
        (GgmlType.Q3_K, true) => Q3KDot.RowAvx2(row, y.Quants, y.Scales),
        (GgmlType.Q3_K, false) => Q3KDot.RowScalar(row, y.Quants, y.Scales),
        (GgmlType.Q4_K, true) => Q4KDot.RowAvx2(row, y.Quants, y.Scales, y.BlockSums),
        (GgmlType.Q4_K, false) => Q4KDot.RowScalar(row, y.Quants, y.Scales, y.BlockSums),
        (GgmlType.Q5_K, true) => Q5KDot.RowAvx2(row, y.Quants, y.Scales, y.BlockSums),
        (GgmlType.Q5_K, false) => Q5KDot.RowScalar(row, y.Quants, y.Scales, y.BlockSums),
        (_, true) => Q6KDot.RowAvx2(row, y.Quants, y.Scales, y.BlockSums),
        _ => Q6KDot.RowScalar(row, y.Quants, y.Scales, y.BlockSums),
    };

    private static float[] RandomActivations(Random rng, int k)
    {
        var x = new float[k];
        for (var i = 0; i < k; i++)
        {
            x[i] = (float)((rng.NextDouble() - 0.5) * (i % 97 == 0 ? 12 : 2));
        }

        return x;
    }

    [TestCase("F32", GgmlVariant.Avx512)]
    [TestCase("F16", GgmlVariant.Avx512)]
    [TestCase("BF16", GgmlVariant.Avx512)]
    [TestCase("F32", GgmlVariant.Avx2)]
    [TestCase("F16", GgmlVariant.Avx2)]
    [TestCase("BF16", GgmlVariant.Avx2)]
    public async Task Float_weight_dots_equal_ggmls_vec_dot_bit_for_bit(string quant, GgmlVariant variant)
    {
        var model = await EngineTestModels.Cache.GetAsync(SyntheticPresets.TinyLlamaMini, quant);
        await AssertFloatDots(model, ["blk.0.attn_q.weight", "blk.1.ffn_down.weight"], new Random(31), variant);
    }

    [TestCase(GgmlVariant.Avx512)]
    [TestCase(GgmlVariant.Avx2)]
    public async Task F32_dots_with_leftovers_equal_ggmls_vec_dot_on_stories260K(GgmlVariant variant)
    {
        // ffn_down rows of 172: 128 in the four-accumulator loop (4x16 or 4x8 lanes), 44 leftovers through the compiler's
        // vectorized blocks (16 then 8 wide, or 8 then 4 wide) and scalar FMAs.
        var model = SharedFixtures.Require("models/stories260K.gguf");
        await AssertFloatDots(model, ["blk.0.ffn_down.weight", "blk.3.attn_q.weight"], new Random(37), variant);
    }

    /// <summary>The variant's float dots through its type table, against ggml's vec_dot in that variant's library.</summary>
    private static async Task AssertFloatDots(string model, string[] names, Random rng, GgmlVariant variant)
    {
        var runner = EngineTestModels.Runner.WithVariant(variant.Name());
        var table = GgmlTypeTable.For(variant);
        using var file = GgufFile.Open(model);
        foreach (var name in names)
        {
            var t = file.Tensors.Single(x => x.Name == name);
            var k = (int)t.RowLength;
            var x = RandomActivations(rng, k);
            var rows = (int)Math.Min(48, t.RowCount);
            var expected = await runner.VecDotAsync(model, name, 0, rows, x, Path.GetTempPath());
            // Through the table, as the engine's matmul goes: x rounded to the vec_dot_type, the row widened, the float dot.
            var traits = table[t.Type];
            var rounded = new float[k];
            if (table[traits.VecDotType!.Value].Round is { } round)
            {
                round(x, rounded);
            }
            else
            {
                x.CopyTo(rounded, 0);
            }

            var row = new float[k];
            var rowBytes = (int)t.TypeInfo.RowBytes(k);
            var weights = file.GetTensorBytes(t);
            for (var r = 0; r < rows; r++)
            {
                traits.Dequantize(weights.Slice(r * rowBytes, rowBytes), row);
                var actual = traits.FloatDot!(row, rounded);
                Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r])), $"{name} ({t.Type}, {variant.Name()}) row {r}: {actual:R} vs ggml {expected[r]:R}");
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
            foreach (var avx2 in Variants)
            {
                for (var r = 0; r < rows; r++)
                {
                    var row = weights.Slice(r * rowBytes, rowBytes);
                    var actual = avx2
                        ? Q8_1Dot.RowAvx2(t.Type, row, activations.Quants(0, k), activations.Scales(0, k), activations.Sums(0, k))
                        : Q8_1Dot.RowScalar(t.Type, row, activations.Quants(0, k), activations.Scales(0, k), activations.Sums(0, k));
                    Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r])), $"{t.Name} row {r} ({(avx2 ? "AVX2" : "scalar")}): {actual:R} vs ggml {expected[r]:R}");
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
            Assert.That(GgmlTypeTable.Default[t.Type].VecDotType, Is.EqualTo(GgmlType.Q8_0), $"{name} is {t.Type}");
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
            foreach (var avx2 in Variants)
            {
                for (var r = 0; r < rows; r++)
                {
                    var row = weights.Slice(r * rowBytes, rowBytes);
                    var actual = avx2
                        ? Q8_0Dot.RowAvx2(t.Type, row, activations.Quants(0, k), activations.Scales(0, k))
                        : Q8_0Dot.RowScalar(t.Type, row, activations.Quants(0, k), activations.Scales(0, k));
                    Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r])), $"{name} row {r} ({(avx2 ? "AVX2" : "scalar")}): {actual:R} vs ggml {expected[r]:R}");
                }
            }
        }
    }
}
