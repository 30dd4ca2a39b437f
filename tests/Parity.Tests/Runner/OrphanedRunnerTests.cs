using System.Diagnostics;
using System.Globalization;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Runner;

/// <summary>
/// The runner never outlives the process that started it: killed with SIGKILL, the parent cannot clean up, so the
/// runner notices it was orphaned and stops by itself; and what dead processes left beside an output is swept by the
/// next run that writes there.
/// </summary>
[TestFixture]
public sealed class OrphanedRunnerTests
{
    // A duration no other process uses, so the stdin writer left behind can be found and stopped.
    private const string Sleeper = "613.25";

    [Test]
    public async Task A_runner_whose_parent_is_killed_with_SIGKILL_stops_within_a_second()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("the parent watch is Linux's getppid");
        }

        var model = Models.Synthetic(SyntheticPresets.Micro);
        var runner = LlamaCppRunnerOptions.Default().RunnerPath;
        var start = runner.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? $"dotnet '{runner}'" : $"'{runner}'";

        // The parent: a shell that starts the runner blocked on a stdin nobody writes, prints its PID and waits.
        using var parent = Process.Start(new ProcessStartInfo("bash", ["-c", $"sleep {Sleeper} | {start} tokenize --model '{model}' --stdin & echo $!; wait"])
        {
            RedirectStandardOutput = true,
        })!;
        var runnerPid = int.Parse((await parent.StandardOutput.ReadLineAsync())!, CultureInfo.InvariantCulture);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.That(IsRunning(runnerPid), Is.True, "the runner waits on its stdin while the parent lives");

        parent.Kill();
        var watch = Stopwatch.StartNew();
        while (IsRunning(runnerPid) && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        Assert.That(IsRunning(runnerPid), Is.False, "the orphaned runner stopped");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
    }

    [TearDown]
    public void StopTheSleeper() => Process.Start("pkill", ["-f", $"sleep {Sleeper}"])?.WaitForExit();

    [Test]
    public async Task Output_left_by_a_dead_process_is_swept_and_a_live_one_is_kept()
    {
        using var temp = new TempDirectory();
        var output = temp.File("q.gguf");
        var dead = DeadPid();
        Directory.CreateDirectory(output + $".tmp-{dead}-abcd1234");
        File.WriteAllText(output + $".tmp-{dead}", "partial");
        var live = output + $".tmp-{Environment.ProcessId}-live";
        Directory.CreateDirectory(live);

        var model = Models.Synthetic(SyntheticPresets.Micro);
        await Models.Runner.RunAsync("quantize", ["--model", model, "--type", "Q8_0", "--out", output], output);

        Assert.That(Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "q.gguf", Path.GetFileName(live) }));
    }

    private static bool IsRunning(int pid) =>
        File.Exists($"/proc/{pid}/status") && !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ", StringComparison.Ordinal);

    /// <summary>The PID of a process that has exited.</summary>
    private static int DeadPid()
    {
        using var p = Process.Start("true")!;
        p.WaitForExit();
        return p.Id;
    }
}
