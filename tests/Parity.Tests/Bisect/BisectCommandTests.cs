using Parity.Cli;
using Parity.Tests.Support;

namespace Parity.Tests.Bisect;

/// <summary><c>parity bisect</c> from the command line: against llama.cpp, and against a committed golden.</summary>
[TestFixture]
public sealed class BisectCommandTests
{
    [Test]
    public void A_clean_engine_bisects_clean_with_the_per_layer_table_and_exit_0()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("bisect", "--preset", "micro", "--quant", "F32", "--cache-type-k", "f32", "--cache-type-v", "f32", "--prompt", "Once upon a time", "--steps", "1", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.StartWith("clean: every tensor bit-identical over 2 step(s)"));
        Assert.That(stdout, Does.Contain("free-running, judged by exact, rule exact-ggml: every tensor holds").And.Contain("amplification").And.Contain("l_out-1"));
    }

    [Test]
    public void Bisect_runs_against_a_golden_without_llama_cpp_inference()
    {
        using var temp = new TempDirectory();
        var golden = Path.Combine(RepoRoot.Find(), "reference-data", "suites", "ci", "goldens", "mini-f32-bos");
        var (code, stdout, stderr) = ParityCli.Run("bisect", "--preset", "tinyllama-mini", "--quant", "F32", "--reference", golden, "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stderr, Does.Not.Contain("llama.cpp: dumping"));
        Assert.That(stdout, Does.StartWith("clean:"));
    }

    [Test]
    public void A_reference_made_from_another_model_is_refused()
    {
        using var temp = new TempDirectory();
        var golden = Path.Combine(RepoRoot.Find(), "reference-data", "suites", "ci", "goldens", "mini-f32-bos");
        var (code, _, stderr) = ParityCli.Run("bisect", "--preset", "micro", "--quant", "F32", "--reference", golden, "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.Contain("--reference").And.Contain("sha256"));
    }
}
