using System.Diagnostics;
using Parity.Tests.Support;

namespace Parity.Tests.Cli;

/// <summary>Ctrl+C stops <c>parity run</c> within a second, and llama.cpp's runner with it.</summary>
[TestFixture]
public sealed class InterruptTests
{
    [Test]
    public async Task SIGINT_during_the_llama_cpp_dump_ends_the_CLI_and_its_runner_within_a_second()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("signals and /proc are Linux's");
        }

        if (Signals.SigIntIgnored())
        {
            // A shell without job control starts background commands with SIGINT ignored, and every child inherits
            // that: the CLI then never sees Ctrl+C, by Unix's rules rather than by a fault of its own.
            Assert.Ignore("SIGINT is ignored in this test process (started in the background without job control), so the CLI inherits it ignored");
        }

        using var temp = new TempDirectory();
        _ = Models.Synthetic(Parity.Harness.Synthetic.SyntheticPresets.Micro);
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "parity.dll"), "run", "--preset", "micro", "--quant", "F32", "--prompt", "Hello", "--steps", "800", "--out", temp.Path])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["PARITY_CACHE_DIR"] = Models.Cache.Directory;
        using var cli = Process.Start(start)!;
        _ = cli.StandardOutput.ReadToEndAsync();
        var stderr = cli.StandardError.ReadToEndAsync();
        var runner = await WaitForChild(cli.Id, "dump", TimeSpan.FromSeconds(60));
        Assert.That(runner, Is.Not.Null, "llama.cpp's runner started dumping");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.That(cli.HasExited || !Running(runner!.Value), Is.False, "both still working when interrupted");

        Process.Start("kill", ["-INT", cli.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        var watch = Stopwatch.StartNew();
        var exited = cli.WaitForExit(TimeSpan.FromSeconds(5));
        var cliTime = watch.Elapsed;
        while (Running(runner!.Value) && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        if (!exited)
        {
            cli.Kill(entireProcessTree: true);
            Assert.Fail($"the CLI did not stop within 5 s of SIGINT; its stderr:\n{await stderr}");
        }

        Assert.That(cliTime, Is.LessThan(TimeSpan.FromSeconds(1)), "the CLI stopped within a second");
        Assert.That(cli.ExitCode, Is.EqualTo(130), "interrupted, not crashed");
        Assert.That(await stderr, Does.Contain("parity: interrupted"));
        Assert.That(Running(runner.Value), Is.False, "the runner stopped with it");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.5)));
    }

    /// <summary>The PID of a runner started by <paramref name="parent"/> for the verb <paramref name="name"/>.</summary>
    private static async Task<int?> WaitForChild(int parent, string name, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), out var pid) && pid != parent && ParentOf(pid) == parent
                    && File.ReadAllText($"{dir}/cmdline").Contains("parity-runner", StringComparison.Ordinal)
                    && File.ReadAllText($"{dir}/cmdline").Contains(name, StringComparison.Ordinal))
                {
                    return pid;
                }
            }

            await Task.Delay(100);
        }

        return null;
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static bool Running(int pid) =>
        File.Exists($"/proc/{pid}/status") && !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ", StringComparison.Ordinal);
}
