using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// <c>parity run</c> against llama.cpp's avx and noavx libraries, end to end: the pinned runner loads the variant, the
/// engine follows it, and every compared tensor is bit-identical. The types are those whose products differ from the
/// AVX2 build's in that library (avx: the single-token Q4_0 pair dot, Q3_K's lanes; noavx: everything).
/// </summary>
[TestFixture]
public sealed class VariantExactnessTests
{
    [TestCase("avx", "Q4_0")]
    [TestCase("avx", "Q3_K_M")]
    [TestCase("noavx", "Q4_K_M")]
    [TestCase("noavx", "F16")]
    public void A_run_against_the_library_variant_is_bit_identical(string variant, string quant)
    {
        using var temp = new TempDirectory();
        // The noavx library's flash attention is the one configuration the engine does not follow (refused by name).
        string[] attention = variant == "noavx" ? ["--flash-attn", "off"] : [];
        var (code, stdout, stderr) = ParityCli.Run(["run", "--variant", variant, "--preset", "tinyllama-mini", "--quant", quant, "--prompt", "Once upon a time there was", "--steps", "3", "--out", temp.Path, .. attention]);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("judged by: exact, rule exact-ggml").And.Contain("PARITY HOLDS: every compared tensor is bit-identical").And.Contain("the greedy tokens agree at every step"));
        var notes = Parity.Dump.DumpRun.Open(System.IO.Path.Combine(temp.Path, "engine")).Manifest.Notes!;
        Assert.That(notes["exactFor"], Does.EndWith(" " + variant), "the engine's dump claims the variant it followed");
    }
}
