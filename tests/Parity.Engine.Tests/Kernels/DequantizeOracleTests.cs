using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Parity.Engine.Kernels;
using Parity.Engine.Tests.Support;
using Parity.Gguf;
using Parity.Harness.Synthetic;

using Parity.Tests.Support;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// Every dequantization kernel against ggml's own <c>to_float</c>, bit for bit, on every tensor of real quantized
/// files made by llama.cpp: the synthetic models in each type, and stories260K in each type llama.cpp can make of it.
/// The runner hashes its float32 output, so a whole model is compared without moving its data.
/// </summary>
[TestFixture]
public sealed class DequantizeOracleTests
{
    public static readonly string[] Types = ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"];

    /// <summary>K-quant files mix types (Q3_K_M uses q4_K and q5_K for some tensors), so these cover all 13 kernels.</summary>
    [TestCaseSource(nameof(Types))]
    public async Task Every_tensor_of_tinyllama_mini_dequantizes_bit_exactly_as_ggml(string type)
    {
        var model = await EngineTestModels.Cache.GetAsync(SyntheticPresets.TinyLlamaMini, type);
        await AssertBitExact(model);
    }

    [TestCase("F16")]
    [TestCase("BF16")]
    [TestCase("Q2_K")]
    [TestCase("Q3_K_M")]
    [TestCase("Q4_K_M")]
    [TestCase("Q5_K_M")]
    [TestCase("Q6_K")]
    public async Task Every_tensor_of_stories260K_dequantizes_bit_exactly_as_ggml(string type)
    {
        var source = SharedFixtures.Require("models/stories260K.gguf");
        var model = await EngineTestModels.Cache.QuantizeAsync(source, type);
        await AssertBitExact(model);
    }

    private static async Task AssertBitExact(string model)
    {
        var expected = await EngineTestModels.Runner.DequantizeHashesAsync(model);
        using var file = GgufFile.Open(model);
        var types = new HashSet<GgmlType>();
        foreach (var t in file.Tensors)
        {
            var values = new float[t.ElementCount];
            Dequantize.Row(t.Type, file.GetTensorBytes(t), values);
            var actual = Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values.AsSpan())));
            if (actual != expected[t.Name])
            {
                var reference = await EngineTestModels.Runner.DequantizeAsync(model, t.Name, 0, t.RowCount, Path.GetTempFileName());
                var first = Enumerable.Range(0, values.Length).First(i => BitConverter.SingleToInt32Bits(values[i]) != BitConverter.SingleToInt32Bits(reference[i]));
                Assert.Fail($"{t.Name} ({t.Type}): element {first} (block {first / t.TypeInfo.BlockSize}) is {values[first]:R}, ggml gives {reference[first]:R}");
            }

            types.Add(t.Type);
        }

        TestContext.Out.WriteLine($"{Path.GetFileName(model)}: {file.Tensors.Count} tensors bit-exact, types {string.Join(", ", types)}");
    }
}
