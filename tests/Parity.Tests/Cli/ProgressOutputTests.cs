using System.Diagnostics;
using System.Text.Json;
using Parity.Cli.Rendering;
using Parity.Dump;
using Parity.Harness;
using Parity.Tests.Support;

namespace Parity.Tests.Cli;

/// <summary>
/// Progress goes to stderr: a live display on a terminal, plain lines when piped, one line per phase with --quiet;
/// stdout carries the result alone, the same whichever way progress is shown.
/// </summary>
[TestFixture]
public sealed class ProgressOutputTests
{
    private const char Escape = '\u001b';

    [Test]
    public async Task Piped_output_has_plain_progress_lines_on_stderr_and_only_the_result_on_stdout()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = await RunCliAsync("run", "--preset", "micro", "--quant", "Q8_0", "--steps", "2", "--format", "json", "--out", temp.Path);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stderr, Does.Contain("[parity] llama.cpp dump: 3/3 step").And.Contain("[parity] engine dump: 3/3 step").And.Contain("[parity] diff: 3/3 step"));
        Assert.That(stderr.Contains(Escape, StringComparison.Ordinal), Is.False, "no ANSI codes on a pipe");
        Assert.That(stdout.Contains(Escape, StringComparison.Ordinal), Is.False);
        using var json = JsonDocument.Parse(stdout);
        Assert.That(json.RootElement.GetProperty("schemaVersion").GetInt32(), Is.EqualTo(1), "stdout is the report alone");
    }

    [Test]
    public async Task Quiet_prints_one_line_per_phase_and_leaves_stdout_unchanged()
    {
        using var temp = new TempDirectory();
        string[] args = ["run", "--preset", "micro", "--quant", "Q8_0", "--steps", "12", "--format", "json", "--out", temp.Path];
        var loud = await RunCliAsync(args);
        var quiet = await RunCliAsync([.. args, "--quiet"]);

        Assert.That((loud.Code, quiet.Code), Is.EqualTo((0, 0)), quiet.Stderr);
        Assert.That(quiet.Stdout, Is.EqualTo(loud.Stdout));
        Assert.That(Lines(quiet.Stderr, "[parity] diff"), Has.Count.EqualTo(1));
        Assert.That(Lines(loud.Stderr, "[parity] diff"), Has.Count.GreaterThan(1).And.Count.LessThanOrEqualTo(11), "a line per tenth, not per step");
        Assert.That(quiet.Stderr.Contains(Escape, StringComparison.Ordinal), Is.False);
    }

    [Test]
    public async Task A_terminal_gets_a_live_display_on_stderr_while_redirected_stdout_stays_plain()
    {
        if (!File.Exists("/usr/bin/script"))
        {
            Assert.Ignore("util-linux's script (a pseudo-terminal for the CLI) is not installed");
        }

        using var temp = new TempDirectory();
        var result = Path.Combine(temp.Path, "stdout.json");

        // Under script both streams are the terminal; stdout is sent to a file, so the terminal shows stderr alone.
        var inner = $"dotnet {Quote(ParityDll)} run --preset micro --quant Q8_0 --steps 40 --format json --out {Quote(temp.File("run"))} > {Quote(result)}";
        var (code, terminal, _) = await RunAsync("/usr/bin/script", ["-q", "-e", "-c", inner, "/dev/null"]);

        Assert.That(code, Is.Zero, terminal);
        Assert.That(terminal, Does.Contain(Escape + "[?25l").And.Contain(Escape + "[2A").And.Contain("llama.cpp dump"), "a live display: cursor hidden, redrawn in place, naming the phase");
        Assert.That(terminal, Does.Not.Contain("[parity] diff"), "not the plain lines");
        var stdout = await File.ReadAllTextAsync(result);
        Assert.That(stdout.Contains(Escape, StringComparison.Ordinal), Is.False);
        using var json = JsonDocument.Parse(stdout);
    }

    [Test]
    public void Plain_lines_mark_a_phase_start_each_tenth_and_the_end()
    {
        using var writer = new StringWriter();
        var progress = new LineProgress(writer, phaseStartsOnly: false);
        for (var i = 0; i <= 64; i++)
        {
            progress.Report(new WorkProgress("engine dump", i, 64, "step"));
        }

        progress.Report(new WorkProgress("engine dump", 0, 2, "step"));
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(12), "start, nine tenths, the end, and the phase starting over");
        Assert.That(lines[0], Is.EqualTo("[parity] engine dump: 0/64 step"));
        Assert.That(lines[10], Is.EqualTo("[parity] engine dump: 64/64 step"));
        Assert.That(lines[11], Is.EqualTo("[parity] engine dump: 0/2 step"));
    }

    [Test]
    public void Quiet_lines_mark_only_phase_starts()
    {
        using var writer = new StringWriter();
        var progress = new LineProgress(writer, phaseStartsOnly: true);
        progress.Report(WorkProgress.Started("bench: measuring memory read bandwidth"));
        progress.Report(new WorkProgress("check", 0, 3, "case", "mini-f32"));
        progress.Report(new WorkProgress("check", 1, 3, "case", "mini-q8"));
        progress.Report(new WorkProgress("check", 3, 3, "case"));

        Assert.That(writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
        {
            "[parity] bench: measuring memory read bandwidth",
            "[parity] check: 0/3 case (mini-f32)",
        }));
    }

    [Test]
    public void The_runner_progress_line_round_trips_and_nothing_else_reads_as_one()
    {
        Assert.That(ProgressLine.TryParse(ProgressLine.Format(3, 9, "step"), out var done, out var total, out var unit), Is.True);
        Assert.That((done, total, unit), Is.EqualTo((3L, 9L, "step")));
        Assert.That(ProgressLine.TryParse("[llama.cpp warn] [progress] 3/9 step", out _, out _, out _), Is.False);
        Assert.That(ProgressLine.TryParse("[progress] 3/9", out _, out _, out _), Is.False);
    }

    private static string ParityDll => Path.Combine(AppContext.BaseDirectory, "parity.dll");

    private static List<string> Lines(string text, string prefix) =>
        [.. text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static Task<(int Code, string Stdout, string Stderr)> RunCliAsync(params string[] args) =>
        RunAsync("dotnet", [ParityDll, .. args]);

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args)
    {
        _ = Models.Synthetic(Parity.Harness.Synthetic.SyntheticPresets.Micro);
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PARITY_CACHE_DIR"] = Models.Cache.Directory;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
