using Parity.Cli;
using Parity.Dump;
using Parity.Tests.Support;

namespace Parity.Tests.Engines;

/// <summary>
/// <c>--engine</c> on the verbs, end to end with the fake engine: a good engine is judged like Parity's own, a failing
/// one is exit 125 naming it with its stderr tail, a refusal is bad input (exit 2), and check skips the cases an
/// engine refuses.
/// </summary>
[TestFixture]
public sealed class ExternalEngineCliTests
{
    private const string Tokens = "1,17,42,99";
    private TempDirectory _temp = null!;
    private string _model = null!;
    private string _engineDump = null!;

    [OneTimeSetUp]
    public void MakeDumps()
    {
        _temp = new TempDirectory();
        (_model, _, _engineDump) = MicroDumps.Make(_temp, 2, "--flash-attn", "off");
    }

    [OneTimeTearDown]
    public void Clean() => _temp.Dispose();

    private string Engine(string mode) => $"{ExternalEngineTests.DotNet} {ExternalEngineTests.FakeEngine} {mode} {_engineDump}";

    [Test]
    public void Run_judges_an_external_engine_like_its_own_and_names_it()
    {
        var output = _temp.File("run-good");
        var (code, stdout, stderr) = ParityCli.Run("run", "--engine", Engine("copy"), "--model", _model, "--tokens", Tokens, "--steps", "2", "--out", output, "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS"));
        Assert.That(DumpRun.Open(Path.Combine(output, "engine")).StepCount, Is.EqualTo(3));
    }

    [TestCase("crash", "about to dereference a bad pointer")]
    [TestCase("missing-step", "its dump has 2 step(s); the request asked for 3")]
    public void Run_with_a_failing_engine_is_exit_125_naming_it_with_its_stderr_tail(string mode, string said)
    {
        var output = _temp.File("run-" + mode);
        var (code, stdout, stderr) = ParityCli.Run("run", "--engine", Engine(mode), "--model", _model, "--tokens", Tokens, "--steps", "2", "--out", output, "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.CannotTest), stdout + stderr);
        Assert.That(stderr, Does.Contain("parity: engine fake-engine: "));
        Assert.That(stderr, Does.Contain(said));
        Assert.That(Directory.Exists(Path.Combine(output, "engine")), Is.False, "no partial engine dump");
    }

    [Test]
    public void A_refusing_engine_is_bad_input_with_its_reason()
    {
        var (code, _, stderr) = ParityCli.Run("dump", "--side", "engine", "--engine", Engine("exit:3"), "--model", _model, "--tokens", Tokens, "--out", _temp.File("refused"), "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain("parity: engine fake-engine refuses the request: "));
        Assert.That(stderr, Does.Contain("architecture 'qwen2' is not implemented"));
    }

    [Test]
    public void Dump_side_engine_writes_the_external_engines_dump()
    {
        var output = _temp.File("dumped");
        var (code, stdout, stderr) = ParityCli.Run("dump", "--side", "engine", "--engine", Engine("copy"), "--model", _model, "--tokens", Tokens, "--steps", "2", "--out", output, "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.StartWith($"wrote {output}: 3 step(s)"));
    }

    [Test]
    public void Check_skips_the_cases_an_engine_refuses_and_says_why()
    {
        var (code, stdout, stderr) = ParityCli.Run("check", "--suite", "ci", "--case", "mini-f32-bos", "--engine", Engine("exit:3"), "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("SKIP  mini-f32-bos"));
        Assert.That(stdout, Does.Contain("engine fake-engine refuses the request"));
        Assert.That(stderr, Does.Contain("engine fake-engine (external: no snapshots; a case it refuses is skipped)"));
    }

    [Test]
    public void Bench_times_an_external_engine_beside_llama_cpp()
    {
        var (code, stdout, stderr) = ParityCli.Run("bench", "--engine", Engine("bench"), "--model", _model, "--threads", "1", "--reps", "1", "--prompt-tokens", "8", "--gen-tokens", "4", "--no-repack", "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("engine fake-engine"));
        // 8 prompt tokens in the fake's 0.25 s, 4 generated in 0.5 s.
        Assert.That(stdout, Does.Match(@"engine\s+32\.0 \(\s*32\.0-\s*32\.0\)\s+8\.0 "));
    }
}
