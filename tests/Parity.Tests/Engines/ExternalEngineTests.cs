using System.Text.Json;
using Parity.Dump;
using Parity.Harness.Engine;
using Parity.Harness.Runner;
using Parity.Tests.Support;

namespace Parity.Tests.Engines;

/// <summary>
/// An external engine kept at arm's length, against a fake engine: a good dump is validated and published; a crash,
/// a hang, a non-zero exit, garbage, a missing step or a wrong shape is an <see cref="ExternalEngineException"/> naming
/// the engine and its stderr tail, with no process and no partial output left; exit 3 is a refusal with its reason.
/// </summary>
[TestFixture]
public sealed class ExternalEngineTests
{
    private const int Steps = 2;
    private static readonly int[] Tokens = [1, 17, 42, 99];
    private TempDirectory _temp = null!;
    private string _model = null!;
    private DumpRun _good = null!;

    internal static string FakeEngine => Path.Combine(AppContext.BaseDirectory, "fake-engine.dll");

    internal static string DotNet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    [OneTimeSetUp]
    public void MakeDumps()
    {
        _temp = new TempDirectory();
        var (model, _, engine) = MicroDumps.Make(_temp, Steps);
        (_model, _good) = (model, DumpRun.Open(engine));
    }

    [OneTimeTearDown]
    public void Clean() => _temp.Dispose();

    private ExternalEngineConfig Config(string mode, TimeSpan? timeout = null, params (string Key, string Value)[] env) => new()
    {
        Command = [DotNet, FakeEngine, mode, _good.Directory],
        Timeout = timeout ?? TimeSpan.FromMinutes(2),
        Environment = env.ToDictionary(p => p.Key, p => p.Value),
    };

    private EngineDumpCall Call(string output, IReadOnlyList<int>? tokens = null) => new()
    {
        Request = new DumpRequest { ModelPath = _model, OutputDirectory = output, Steps = Steps },
        Tokens = tokens ?? Tokens,
        TeacherTokens = _good.GeneratedTokens,
    };

    [Test]
    public async Task A_good_dump_is_published_under_the_output_and_the_handshake_names_the_engine()
    {
        var engine = await ExternalEngine.ConnectAsync(Config("copy"));
        Assert.That((engine.Name, engine.Capabilities.Version, engine.CanTeacherForce, engine.Capabilities.Bench), Is.EqualTo(("fake-engine", "0.1", true, true)));
        var output = _temp.File("good");
        var result = await engine.DumpAsync(Call(output));
        Assert.That(result.RunDirectory, Is.EqualTo(output));
        Assert.That(DumpRun.Open(output).StepCount, Is.EqualTo(Steps + 1));
        Assert.That(result.Generated, Is.EqualTo(_good.GeneratedTokens));
        Assert.That(Leftovers("good"), Is.Empty);
    }

    [Test]
    public async Task The_request_carries_the_protocol_the_tokens_the_teacher_tokens_and_a_fresh_output()
    {
        var log = _temp.File("requests");
        var engine = await ExternalEngine.ConnectAsync(Config("copy", env: ("PARITY_FAKE_REQUESTS", log)));
        await engine.DumpAsync(Call(_temp.File("asked")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(log, "dump-1.json")));
        var r = doc.RootElement;
        Assert.That(r.GetProperty("protocol").GetString(), Is.EqualTo("parity-engine"));
        Assert.That(r.GetProperty("protocolVersion").GetInt32(), Is.EqualTo(1));
        Assert.That(r.GetProperty("model").GetString(), Is.EqualTo(_model));
        Assert.That(r.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()), Is.EqualTo(Tokens));
        Assert.That(r.GetProperty("steps").GetInt32(), Is.EqualTo(Steps));
        Assert.That(r.GetProperty("teacherTokens").EnumerateArray().Select(t => t.GetInt32()), Is.EqualTo(_good.GeneratedTokens.Take(Steps)));
        Assert.That(r.GetProperty("contextSize").GetInt32(), Is.EqualTo(256));
        Assert.That(r.GetProperty("output").GetString(), Does.StartWith(_temp.File("asked") + ".tmp-"));
        Assert.That(r.GetProperty("forceFrom").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [TestCase("crash", ExternalEngineFailure.Crash, "about to dereference a bad pointer")]
    [TestCase("exit:1", ExternalEngineFailure.NonZeroExit, "architecture 'qwen2' is not implemented")]
    [TestCase("garbage", ExternalEngineFailure.InvalidOutput, "not a valid Parity dump")]
    [TestCase("missing-step", ExternalEngineFailure.InvalidOutput, "2 step(s); the request asked for 3")]
    [TestCase("wrong-shape", ExternalEngineFailure.InvalidOutput, "not a valid Parity dump")]
    public async Task A_failing_engine_is_named_with_its_stderr_tail_and_leaves_nothing(string mode, ExternalEngineFailure kind, string said)
    {
        var engine = await ExternalEngine.ConnectAsync(Config(mode));
        var output = _temp.File("failed-" + mode.Replace(':', '-'));
        var e = await Assert.ThrowsAsync<ExternalEngineException>(() => engine.DumpAsync(Call(output)));
        Assert.That(e!.Kind, Is.EqualTo(kind));
        Assert.That(e.Message, Does.StartWith("engine fake-engine: "));
        Assert.That(e.Message, Does.Contain(said));
        Assert.That(e.Message, Does.Contain("command: " + DotNet));
        Assert.That(Directory.Exists(output), Is.False, "no dump at the output");
        Assert.That(Leftovers(Path.GetFileName(output)), Is.Empty, "no temporary output left");
    }

    [Test]
    public async Task A_dump_of_other_tokens_than_asked_is_refused_as_invalid_output()
    {
        var engine = await ExternalEngine.ConnectAsync(Config("copy"));
        var e = await Assert.ThrowsAsync<ExternalEngineException>(() => engine.DumpAsync(Call(_temp.File("other"), [1, 2, 3, 4])));
        Assert.That(e!.Kind, Is.EqualTo(ExternalEngineFailure.InvalidOutput));
        Assert.That(e.Message, Does.Contain("prompt is [1 17 42 99], not the request's [1 2 3 4]"));
    }

    [Test]
    public async Task A_hanging_engine_is_killed_with_its_whole_process_tree_after_the_timeout()
    {
        var pidFile = _temp.File("pids");
        var engine = await ExternalEngine.ConnectAsync(Config("hang", TimeSpan.FromSeconds(5), ("PARITY_FAKE_PIDFILE", pidFile)));
        var output = _temp.File("hung");
        var e = await Assert.ThrowsAsync<ExternalEngineException>(() => engine.DumpAsync(Call(output)));
        Assert.That(e!.Kind, Is.EqualTo(ExternalEngineFailure.Timeout));
        Assert.That(e.Message, Does.Contain("no exit after 5 s"));
        foreach (var pid in File.ReadAllText(pidFile).Split(' ').Select(int.Parse))
        {
            Assert.That(ProcessTree.WaitUntilGone(pid), Is.True, $"process {pid} of the engine's tree is still alive");
        }

        Assert.That(Directory.Exists(output), Is.False);
    }

    [Test]
    public async Task Exit_3_is_a_refusal_with_the_engines_reason_not_a_failure()
    {
        var engine = await ExternalEngine.ConnectAsync(Config("exit:3"));
        var e = await Assert.ThrowsAsync<EngineRefusedException>(() => engine.DumpAsync(Call(_temp.File("refused"))));
        Assert.That(e!.Message, Is.EqualTo("engine fake-engine refuses the request: fake-engine: dump, mode exit:3 / fake-engine: architecture 'qwen2' is not implemented"));
    }

    [Test]
    public async Task A_wrong_handshake_answer_names_what_is_wrong()
    {
        var e = await Assert.ThrowsAsync<ExternalEngineException>(() => ExternalEngine.ConnectAsync(Config("bad-capabilities")));
        Assert.That(e!.Kind, Is.EqualTo(ExternalEngineFailure.InvalidOutput));
        Assert.That(e.Message, Does.Contain("its capabilities answer is wrong: name: expected a non-empty string"));
    }

    [Test]
    public async Task A_command_that_does_not_exist_cannot_start()
    {
        var config = new ExternalEngineConfig { Command = ["/nonexistent/engine", "--flag"] };
        var e = await Assert.ThrowsAsync<ExternalEngineException>(() => ExternalEngine.ConnectAsync(config));
        Assert.That(e!.Kind, Is.EqualTo(ExternalEngineFailure.CannotStart));
        Assert.That(e.Message, Does.Contain("cannot start /nonexistent/engine"));
    }

    [Test]
    public async Task The_bench_action_times_the_engine_by_its_own_last_repetition()
    {
        var log = _temp.File("bench-requests");
        var engine = await ExternalEngine.ConnectAsync(Config("bench", env: ("PARITY_FAKE_REQUESTS", log)));
        using var timer = await engine.OpenTimerAsync(new Parity.Harness.Bench.BenchOptions { ModelPath = _model, PromptTokens = 8, GenTokens = 4, Depth = 5 }, 2);
        Assert.That(await timer.TimeAsync(), Is.EqualTo((0.25, 0.5)));
        Assert.That(timer.PeakRssBytes, Is.EqualTo(1_000_000));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(log, "bench-1.json")));
        var r = doc.RootElement;
        Assert.That((r.GetProperty("context").GetArrayLength(), r.GetProperty("tokens").GetArrayLength(), r.GetProperty("genTokens").GetInt32(), r.GetProperty("threads").GetInt32()), Is.EqualTo((5, 8, 4, 2)));
    }

    private string[] Leftovers(string name) => Directory.GetFileSystemEntries(_temp.Path, name + ".tmp-*");
}
