using System.Text.Json;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// The engine's ggml numerics round activations as llama.cpp's CPU backend does, so the first products of a layer
/// (whose inputs are identical on both sides) agree to float precision; the f32 numerics do not.
/// </summary>
[TestFixture]
public sealed class NumericsModeTests
{
    [TestCase("Q8_0")]
    [TestCase("Q4_K_M")]
    [TestCase("Q4_1")]
    [TestCase("F16")]
    public void Ggml_numerics_make_the_first_products_match_to_float_precision(string quant)
    {
        var ggml = FirstProductsNmse(quant, "ggml");
        var f32 = FirstProductsNmse(quant, "f32");
        Assert.That(ggml, Is.LessThan(1e-12), $"{quant}: Qcur-0, Kcur-0, Vcur-0 with ggml's activation rounding");
        Assert.That(f32, Is.GreaterThan(1e-9), $"{quant}: the same products without it");
    }

    private static double FirstProductsNmse(string quant, string numerics)
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", quant, "--numerics", numerics, "--prompt", "Hello, how are you?", "--out", temp.Path, "--format", "json");
        Assert.That(code, Is.Zero, stderr);
        using var report = JsonDocument.Parse(stdout);
        return report.RootElement.GetProperty("tensors").EnumerateArray()
            .Where(t => t.GetProperty("key").GetString() is "Qcur-0" or "Kcur-0" or "Vcur-0")
            .Max(t => t.GetProperty("nmse").GetDouble());
    }
}
