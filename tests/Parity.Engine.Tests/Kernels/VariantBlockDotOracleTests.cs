using Parity.Engine.Kernels;
using Parity.Engine.Tests.Support;
using Parity.Gguf;
using Parity.Harness.Synthetic;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// The AVX and noavx libraries' single-token products through their type tables (activations quantized by the table's
/// <c>from_float</c>, then its one-token <c>vec_dot</c>), against that library's own <c>from_float</c> + <c>vec_dot</c>
/// through the runner's <c>vecdot</c> verb, bit for bit, on real weight rows of every tinyllama-mini type.
/// </summary>
[TestFixture]
public sealed class VariantBlockDotOracleTests
{
    private static readonly string[] Quants = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q5_0", "Q4_1", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"];

    private static IEnumerable<TestCaseData> Cases() =>
        from variant in new[] { GgmlVariant.Avx, GgmlVariant.NoAvx }
        from quant in Quants
        select new TestCaseData(variant, quant).SetName($"{variant.Name()} {quant}: the table's one-token product equals the library's vec_dot");

    [TestCaseSource(nameof(Cases))]
    public async Task One_token_products_equal_the_librarys_vec_dot(GgmlVariant variant, string quant)
    {
        var model = await EngineTestModels.Cache.GetAsync(SyntheticPresets.TinyLlamaMini, quant);
        var runner = EngineTestModels.Runner.WithVariant(variant.Name());
        var table = GgmlTypeTable.For(variant);
        using var file = GgufFile.Open(model);
        var rng = new Random(41);
        var weights = file.Tensors.Where(t => t.Name.StartsWith("blk.", StringComparison.Ordinal) && t.Name.EndsWith(".weight", StringComparison.Ordinal) && t.RowCount > 1)
            .GroupBy(t => t.Type).Select(g => g.First());
        foreach (var t in weights)
        {
            var k = (int)t.RowLength;
            var x = new float[k];
            for (var i = 0; i < k; i++)
            {
                x[i] = (float)((rng.NextDouble() - 0.5) * (i % 97 == 0 ? 12 : 2));
            }

            const int rows = 40;
            var expected = await runner.VecDotAsync(model, t.Name, 0, rows, x, Path.GetTempPath());
            var actual = OneToken(table, t, file.GetTensorBytes(t), x, rows);
            for (var r = 0; r < rows; r++)
            {
                Assert.That(BitConverter.SingleToInt32Bits(actual[r]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r])), $"{t.Name} ({t.Type}, {variant.Name()}) row {r}: {actual[r]:R} vs ggml {expected[r]:R}");
            }
        }
    }

    /// <summary>The first <paramref name="rows"/> rows against x as the engine's matmul computes one token with this table.</summary>
    private static float[] OneToken(GgmlTypeTable table, GgufTensorInfo t, ReadOnlySpan<byte> data, float[] x, int rows)
    {
        var k = x.Length;
        var traits = table[t.Type];
        var rowBytes = (int)t.TypeInfo.RowBytes(k);
        var results = new float[rows];
        var vecDotType = table[traits.VecDotType!.Value];
        if (traits.VecDot is { } vecDot)
        {
            var activations = vecDotType.FromFloat!();
            activations.Prepare(1, k);
            activations.QuantizeBlocks(x, 0, k / vecDotType.BlockSize);
            (traits.VecDotOneToken ?? vecDot)(data[..(rows * rowBytes)], rowBytes, activations.Row(0, k), results);
            return results;
        }

        var rounded = new float[k];
        if (vecDotType.Round is { } round)
        {
            round(x, rounded);
        }
        else
        {
            x.CopyTo(rounded, 0);
        }

        var row = new float[k];
        for (var r = 0; r < rows; r++)
        {
            traits.Dequantize(data.Slice(r * rowBytes, rowBytes), row);
            results[r] = traits.FloatDot!(row, rounded);
        }

        return results;
    }
}
