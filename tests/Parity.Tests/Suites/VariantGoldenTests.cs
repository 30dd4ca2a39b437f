using Parity.Cli;
using Parity.Dump;
using Parity.Tests.Support;

namespace Parity.Tests.Suites;

/// <summary>
/// Goldens per library variant: a case pinned to a variant is made with that library whichever this machine would load,
/// <c>check</c> runs the engine in the order of the variant the golden records (not the machine's), and
/// <c>check --live</c> reruns the pinned library and says which one it loaded.
/// </summary>
[TestFixture]
public sealed class VariantGoldenTests
{
    private const string Suite = """
        {
          "formatVersion": 1,
          "name": "variant-test",
          "defaults": { "steps": 2 },
          "cases": [
            { "name": "noavx-q4_k_m", "model": { "preset": "micro", "quant": "Q4_K_M" }, "prompt": "Hello world", "variant": "noavx" },
            { "name": "avx-q8_0", "model": { "preset": "micro", "quant": "Q8_0" }, "tokens": [1], "steps": 3, "variant": "avx" }
          ]
        }
        """;

    [Test]
    public void Goldens_pinned_to_a_variant_are_made_checked_and_proven_live_with_that_library()
    {
        using var workspace = SuiteWorkspace.Fresh(Suite);
        var (code, stdout, stderr) = ParityCli.Run("regen", "--suite", workspace.Directory);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(DumpRun.Open(Path.Combine(workspace.Directory, "goldens", "noavx-q4_k_m")).Manifest.Producer.LibraryVariant, Is.EqualTo("noavx"));
        Assert.That(DumpRun.Open(Path.Combine(workspace.Directory, "goldens", "avx-q8_0")).Manifest.Producer.LibraryVariant, Is.EqualTo("avx"));

        // This machine's runner loads the AVX-512 library; check never runs llama.cpp, and the engine follows each
        // golden's own library: bit-identical, which the AVX-512 kernels are not against these libraries.
        Assert.That(ParityCli.Run("check", "--suite", workspace.Directory).Code, Is.EqualTo(ExitCodes.ParityBroken), "no snapshots yet");
        Assert.That(ParityCli.Run("accept", "--suite", workspace.Directory).Code, Is.Zero);
        (code, stdout, _) = ParityCli.Run("check", "--suite", workspace.Directory);
        Assert.That(code, Is.Zero, stdout);
        Assert.That(stdout, Does.Contain("2 passed, 0 failed"));
        foreach (var snapshot in Directory.GetFiles(Path.Combine(workspace.Directory, "snapshots"), "*.verified.json"))
        {
            var tensors = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(snapshot))!["tensors"]!.AsObject();
            Assert.That(tensors.Select(t => t.Value!.GetValue<string>()), Is.Not.Empty.And.All.EqualTo("nmse 0, maxabs 0"), snapshot);
        }

        (code, stdout, stderr) = ParityCli.Run("check", "--suite", workspace.Directory, "--live");
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("(noavx library, loaded here)").And.Contain("(avx library, loaded here)"));
    }

    [Test]
    public void A_case_naming_no_library_variant_is_refused_with_the_field()
    {
        using var workspace = SuiteWorkspace.Fresh(Suite.Replace("\"variant\": \"avx\"", "\"variant\": \"sse4\"", StringComparison.Ordinal));
        var (code, _, stderr) = ParityCli.Run("check", "--suite", workspace.Directory);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.Contain(".variant").And.Contain("sse4").And.Contain("avx512, avx2, avx or noavx"));
    }
}
