using System.Diagnostics;
using Parity.Cli;
using Parity.Dump;
using Parity.Harness.Suites;
using Parity.Tests.Support;

namespace Parity.Tests.Suites;

/// <summary><c>parity regen</c>: goldens made by llama.cpp, swapped in atomically, with a drift report.</summary>
[TestFixture]
public sealed class RegenTests
{
    /// <summary>Six small cases on the micro preset: enough runner work that a kill lands mid-regeneration.</summary>
    private static string MicroSuite(ulong seed = 0) => $$"""
        {
          "formatVersion": 1,
          "name": "micro-test",
          "defaults": { "steps": 2 },
          "cases": [
            { "name": "f32-hello", "model": { "preset": "micro", "seed": {{seed}}, "quant": "F32" }, "prompt": "Hello world" },
            { "name": "q8_0-hello", "model": { "preset": "micro", "seed": {{seed}}, "quant": "Q8_0" }, "prompt": "Hello world" },
            { "name": "q4_k_m-bos", "model": { "preset": "micro", "seed": {{seed}}, "quant": "Q4_K_M" }, "tokens": [1], "steps": 3 },
            { "name": "f16-chat", "model": { "preset": "micro", "seed": {{seed}}, "quant": "F16" }, "prompt": "Hi", "chat": true },
            { "name": "q4_1-hello", "model": { "preset": "micro", "seed": {{seed}}, "quant": "Q4_1" }, "prompt": "Hello world", "steps": 4 },
            { "name": "f32-long", "model": { "preset": "micro", "seed": {{seed}}, "quant": "F32" }, "prompt": "Once upon a time there was a little dog", "steps": 6 }
          ]
        }
        """;

    [Test]
    public void Regen_makes_goldens_that_check_accepts_and_a_second_regen_reports_no_drift()
    {
        using var workspace = SuiteWorkspace.Fresh(MicroSuite());
        var (code, stdout, stderr) = ParityCli.Run("regen", "--suite", workspace.Directory);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("regenerated 6 golden(s)").And.Contain("f32-hello: new"));

        var golden = DumpRun.Open(Path.Combine(workspace.Directory, "goldens", "f32-hello"));
        Assert.That(golden.Manifest.Producer.Name, Is.EqualTo("llama.cpp"));
        Assert.That(golden.Manifest.Producer.LibraryVariant, Is.Not.Null);
        Assert.That(golden.Manifest.Notes!["case"], Is.EqualTo("f32-hello"));
        Assert.That(golden.Manifest.Notes!["compaction"], Does.Contain("kq"));
        Assert.That(golden.Manifest.Model.Sha256, Has.Length.EqualTo(64));
        using (var step = golden.OpenStep(0))
        {
            Assert.That(step.Tensors.Select(t => t.Name), Has.None.Contains("(view)").And.None.StartWith("cache_"));
            var kq = step.Get("kq-0");
            Assert.That(kq.Ne[0], Is.EqualTo(step.Manifest.Positions[^1] + 1), "kq keeps only the attended columns");
        }

        // First check: no verified snapshots yet, so every case fails with a received file; accept; then all pass.
        (code, stdout, _) = ParityCli.Run("check", "--suite", workspace.Directory);
        Assert.That(code, Is.EqualTo(ExitCodes.ParityBroken));
        Assert.That(stdout, Does.Contain("snapshot missing"));
        Assert.That(ParityCli.Run("accept", "--suite", workspace.Directory).Code, Is.Zero);
        (code, stdout, _) = ParityCli.Run("check", "--suite", workspace.Directory);
        Assert.That(code, Is.Zero, stdout);
        Assert.That(stdout, Does.Contain("6 passed, 0 failed"));

        (code, stdout, stderr) = ParityCli.Run("regen", "--suite", workspace.Directory, "--case", "q8_0-*");
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Match(@"q8_0-hello: identical \(\d+ tensors bit for bit\)"));
    }

    [Test]
    public void Regen_refuses_when_a_model_is_not_the_one_the_golden_was_made_from_unless_forced_and_then_reports_the_drift()
    {
        using var workspace = SuiteWorkspace.Fresh(MicroSuite());
        Assert.That(ParityCli.Run("regen", "--suite", workspace.Directory, "--case", "f32-hello").Code, Is.Zero);
        var before = workspace.GoldenHashes();

        // Another seed: other model bytes, as when the generator or llama.cpp's quantizer changes.
        File.WriteAllText(Path.Combine(workspace.Directory, Suite.FileName), MicroSuite(seed: 1));
        var (code, stdout, stderr) = ParityCli.Run("regen", "--suite", workspace.Directory, "--case", "f32-hello");
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stdout);
        Assert.That(stderr, Does.Contain("refusing").And.Contain("f32-hello").And.Contain("--force"));
        Assert.That(workspace.GoldenHashes(), Is.EqualTo(before));

        var check = ParityCli.Run("check", "--suite", workspace.Directory, "--case", "f32-hello");
        Assert.That(check.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(check.Stdout, Does.Contain("sha256").And.Contain("parity regen"));

        (code, stdout, stderr) = ParityCli.Run("regen", "--suite", workspace.Directory, "--case", "f32-hello", "--force");
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Match(@"f32-hello: \d+ of \d+ tensors moved").And.Contain("embd"));
    }

    [Test]
    public async Task Regen_killed_midway_leaves_the_previous_goldens_byte_identical()
    {
        using var workspace = SuiteWorkspace.Fresh(MicroSuite());
        Assert.That(ParityCli.Run("regen", "--suite", workspace.Directory).Code, Is.Zero);
        var before = workspace.GoldenHashes();

        using var process = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "parity.dll"), "regen", "--suite", workspace.Directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var clock = Stopwatch.StartNew();
        string? staged = null;
        while (staged is null && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            // Kill as soon as the first new golden is complete in the staging tree: midway, by construction.
            staged = Directory.EnumerateDirectories(workspace.Directory, SuiteRegenerator.StagingPrefix + "*")
                .Select(d => Path.Combine(d, "goldens", "f32-hello", GoldenWriter.ChecksumFileName))
                .FirstOrDefault(File.Exists);
            await Task.Delay(5);
        }

        Assert.That(process.HasExited, Is.False, "the regeneration was still running when the first golden was staged");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();

        Assert.That(staged, Is.Not.Null);
        Assert.That(workspace.GoldenHashes(), Is.EqualTo(before), "the live goldens are byte-identical");
        Assert.That(Directory.EnumerateDirectories(workspace.Directory, SuiteRegenerator.StagingPrefix + "*"), Is.Not.Empty, "the killed run left its staging tree");

        // The next run sweeps the stale staging tree and completes.
        var (code, stdout, stderr) = ParityCli.Run("regen", "--suite", workspace.Directory, "--case", "q8_0-hello");
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(Directory.EnumerateDirectories(workspace.Directory, SuiteRegenerator.StagingPrefix + "*"), Is.Empty);
    }

    [Test]
    public void The_directory_exchange_swaps_two_trees_whole()
    {
        using var temp = new TempDirectory();
        var a = Directory.CreateDirectory(temp.File("a")).FullName;
        var b = Directory.CreateDirectory(temp.File("b")).FullName;
        File.WriteAllText(Path.Combine(a, "x"), "new");
        File.WriteAllText(Path.Combine(b, "x"), "old");

        DirectoryExchange.Exchange(a, b);

        Assert.That(File.ReadAllText(Path.Combine(b, "x")), Is.EqualTo("new"));
        Assert.That(File.ReadAllText(Path.Combine(a, "x")), Is.EqualTo("old"));
    }

}
