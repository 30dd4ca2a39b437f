using System.Diagnostics;
using Parity.Harness.Runner;
using Parity.Tests.Support;

namespace Parity.Tests.Runner;

/// <summary>
/// The harness's handling of a runner that fails in every way a native process can, against a fake runner, so no
/// llama.cpp is needed. Every failure must be a <see cref="LlamaCppRunnerException"/> that says what ran and how it
/// ended, and leave no process and no partial output behind.
/// </summary>
[TestFixture]
public sealed class FakeRunnerTests
{
    private static LlamaCppRunner Fake(string mode) =>
        new LlamaCppRunner(new LlamaCppRunnerOptions { RunnerPath = Path.Combine(AppContext.BaseDirectory, "fake-runner.dll") })
            .WithEnvironment("PARITY_FAKE_MODE", mode);

    [Test]
    public async Task I_get_the_runners_json_result_for_a_successful_call()
    {
        var tokens = await Fake("ok").TokenizeAsync("/m.gguf", "Hello");
        Assert.That(tokens, Is.EqualTo(new[] { 1, 959, 323 }));
        var info = await Fake("ok").InfoAsync();
        Assert.That(info.Variant, Is.EqualTo("fake"));
    }

    [TestCase("crash", 11, "SIGSEGV", "about to dereference a bad pointer")]
    [TestCase("abort", 6, "SIGABRT", "GGML_ASSERT(false) failed")]
    public async Task A_crashing_runner_gives_an_exception_with_the_signal_and_the_stderr_tail(string mode, int signal, string signalName, string stderrLine)
    {
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => Fake(mode).TokenizeAsync("/m.gguf", "Hello"));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.Crash));
            Assert.That(e.Signal, Is.EqualTo(signal));
            Assert.That(e.Message, Does.Contain(signalName));
            Assert.That(e.StderrTail, Does.Contain(stderrLine));
            Assert.That(e.CommandLine, Does.Contain("fake-runner.dll tokenize --model /m.gguf --stdin"));
        });
    }

    [Test]
    public async Task A_non_zero_exit_gives_an_exception_with_the_exit_code_and_the_runners_message()
    {
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => Fake("exit:1").TokenizeAsync("/m.gguf", "Hello"));
        Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.NonZeroExit));
        Assert.That(e.ExitCode, Is.EqualTo(1));
        Assert.That(e.Signal, Is.Null);
        Assert.That(e.Message, Does.Contain("llama.cpp could not load /m.gguf").And.Contain("exit code 1"));
    }

    [Test]
    public async Task A_missing_library_is_reported_by_name_with_its_package()
    {
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => Fake("missing-lib").InfoAsync());
        Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.MissingLibrary));
        Assert.That(e.Message, Does.Contain("libgomp.so.1").And.Contain("libgomp1"));
    }

    [Test]
    public async Task Garbage_output_is_reported_as_malformed()
    {
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => Fake("garbage").InfoAsync());
        Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.MalformedOutput));
        Assert.That(e.Message, Does.Contain("this is not { json"));
    }

    [Test]
    public async Task A_hanging_runner_is_killed_with_its_whole_process_tree_after_the_timeout()
    {
        using var temp = new TempDirectory();
        var pidFile = temp.File("pids");
        var runner = Fake("hang").WithEnvironment("PARITY_FAKE_PIDFILE", pidFile).WithTimeout(TimeSpan.FromSeconds(3));
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => runner.InfoAsync());
        Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.Timeout));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
        var pids = File.ReadAllText(pidFile).Split(' ').Select(int.Parse).ToArray();
        foreach (var pid in pids)
        {
            Assert.That(ProcessTree.WaitUntilGone(pid), Is.True, $"process {pid} of the runner's tree is still alive");
        }
    }

    [Test]
    public async Task Cancelling_a_call_kills_the_runner_and_throws_OperationCanceledException()
    {
        using var temp = new TempDirectory();
        var pidFile = temp.File("pids");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var runner = Fake("hang").WithEnvironment("PARITY_FAKE_PIDFILE", pidFile);
        await Assert.CatchAsync<OperationCanceledException>(() => runner.RunAsync("info", [], cancellationToken: cts.Token));
        foreach (var pid in File.ReadAllText(pidFile).Split(' ').Select(int.Parse))
        {
            Assert.That(ProcessTree.WaitUntilGone(pid), Is.True, $"process {pid} is still alive");
        }
    }

    [Test]
    public async Task A_runner_that_crashes_while_writing_leaves_no_partial_output()
    {
        using var temp = new TempDirectory();
        var output = temp.File("dump");
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => Fake("partial").RunAsync("dump", ["--out", output], outputPath: output));
        Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.Crash));
        Assert.That(Directory.EnumerateFileSystemEntries(temp.Path), Is.Empty, "the runner's temporary directory was removed");
    }

    [Test]
    public async Task A_runner_program_that_does_not_exist_cannot_start()
    {
        var runner = new LlamaCppRunner(new LlamaCppRunnerOptions { RunnerPath = "/nonexistent/parity-runner.dll" });
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => runner.InfoAsync());
        Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.CannotStart));
        Assert.That(e.Message, Does.Contain("/nonexistent/parity-runner.dll"));
    }
}
