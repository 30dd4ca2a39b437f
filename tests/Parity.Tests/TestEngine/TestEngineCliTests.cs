using Parity.Cli;
using Parity.Tests.Support;

namespace Parity.Tests.TestEngine;

/// <summary>
/// The acceptance of an engine that is not Parity's, through the CLI as its author would run it: the test engine
/// (its own process, transformers' names, its name map) holds against llama.cpp on micro; with its planted RoPE bug
/// <c>run</c> names the first diverging tensor under llama.cpp's name and <c>bisect</c> finds it local through teacher
/// forcing; <c>check</c> holds it to the ci suite's goldens it can run and skips the rest with its reasons.
/// </summary>
[TestFixture]
public sealed class TestEngineCliTests
{
    private TempDirectory _temp = null!;

    private static string Config(string name) => Path.Combine(AppContext.BaseDirectory, name);

    private static string Command(bool bug = false) => string.Join(' ', TestEngineProcess.Command(bug));

    [OneTimeSetUp]
    public void MakeTemp() => _temp = new TempDirectory();

    [OneTimeTearDown]
    public void Clean() => _temp.Dispose();

    [Test]
    public void Run_with_the_test_engine_on_micro_holds_and_auto_compares_it_with_plain_attention()
    {
        var (code, stdout, stderr) = ParityCli.Run("run", "--engine", Command(), "--name-map", TestEngineProcess.NameMap, "--preset", "micro", "--quant", "F32", "--prompt", "Hello", "--steps", "4", "--out", _temp.File("run"), "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS"));
        Assert.That(stdout, Does.Contain("judged by: tolerance, rule f32-weights-f16-cache"));
        Assert.That(stdout, Does.Contain("flash attention off"), "the engine does not follow flash attention, so auto compares plain attention");
        Assert.That(stdout, Does.Not.Contain("only in"), "every tensor pairs");
    }

    [Test]
    public void Run_on_micro_at_its_default_quantization_holds_under_the_f32_numerics_rules()
    {
        // --preset micro alone is Q4_K_M: the engine widens Q4_K and Q6_K to float, llama.cpp quantizes activations.
        var (code, stdout, stderr) = ParityCli.Run("run", "--engine", Command(), "--name-map", TestEngineProcess.NameMap, "--preset", "micro", "--out", _temp.File("q4_k_m"), "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("weights Q4_K_M").And.Contain("judged by: tolerance, rule kquants-f32numerics").And.Contain("PARITY HOLDS"));
    }

    [Test]
    public void Run_with_the_planted_rope_bug_names_the_roped_query_under_llama_cpps_name()
    {
        var (code, stdout, stderr) = ParityCli.Run("run", "--engine-config", Config("parity-test-engine-rope-bug.json"), "--preset", "micro", "--quant", "F32", "--prompt", "Hello", "--steps", "2", "--out", _temp.File("bug"), "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.ParityBroken), stdout + stderr);
        Assert.That(stdout, Does.Contain("first tensor out of tolerance: step 0 Qcur-0#2 (ROPE)"));
        Assert.That(stdout, Does.Contain("matches under RoPE NEOX pairing"));
    }

    [Test]
    public void Bisect_finds_the_planted_rope_bug_local_through_teacher_forcing()
    {
        var (code, stdout, stderr) = ParityCli.Run("bisect", "--engine", Command(bug: true), "--name-map", TestEngineProcess.NameMap, "--preset", "micro", "--quant", "F32", "--prompt", "Hello", "--steps", "2", "--out", _temp.File("bisect"), "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.ParityBroken), stdout + stderr);
        Assert.That(stdout, Does.StartWith("local: "));
        Assert.That(stdout, Does.Contain("on Qcur-0#2 (step 0"));
        Assert.That(stdout, Does.Contain("where: "));
    }

    [Test]
    public void Check_runs_the_suites_cases_it_can_and_skips_the_rest_with_the_engines_reason()
    {
        var (code, stdout, stderr) = ParityCli.Run("check", "--suite", "ci", "--case", "*f32*", "--engine-config", Config("parity-test-engine.json"), "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        foreach (var held in new[] { "micro-f32-hello", "mini-f32-story7", "mini-f32-bos" })
        {
            Assert.That(stdout, Does.Contain("PASS  " + held), held);
        }

        Assert.That(stdout, Does.Contain("SKIP  qwen2-f32-chat").And.Contain("refuses the request"));
        Assert.That(stdout, Does.Not.Contain("snapshot matches"), "snapshots profile Parity's engine, not this one");
        Assert.That(stdout, Does.Match(@"[1-9]\d* passed, 0 failed, 0 errors, [1-9]\d* skipped"));
    }
}
