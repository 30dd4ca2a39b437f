using System.Diagnostics;
using System.IO.Compression;
using Parity.Tests.Support;

namespace Parity.Tests.Cli;

/// <summary>
/// <c>dotnet pack</c> makes the CLI a .NET tool with llama.cpp's runner and libraries inside: installed into a tool
/// path, <c>parity run</c> works from a directory that is not the repository.
/// </summary>
[TestFixture]
public sealed class ToolPackageTests
{
    [Test]
    public async Task The_packed_tool_installs_and_runs_parity_run_from_another_directory()
    {
        using var temp = new TempDirectory();
        var packages = temp.File("packages");
        var cli = Path.Combine(RepoRoot.Find(), "harness", "Parity.Cli");

        // The build that runs these tests made the binaries; packing only collects them.
        var pack = await RunAsync("dotnet", ["pack", cli, "-c", "Release", "--no-build", "-o", packages], RepoRoot.Find());
        if (pack.Code != 0)
        {
            Assert.Ignore($"dotnet pack failed, so there is no tool to install: {pack.Output}");
        }

        var package = Directory.GetFiles(packages, "parity.*.nupkg").Single();
        AssertLean(package);

        // Only the local package source, so nothing is looked up anywhere else.
        var config = temp.File("nuget.config");
        await File.WriteAllTextAsync(config, $"<configuration><packageSources><clear /><add key=\"local\" value=\"{packages}\" /></packageSources></configuration>");
        var tools = temp.File("tools");
        var install = await RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--configfile", config, "parity"], temp.Path);
        Assert.That(install.Code, Is.Zero, install.Output);

        var elsewhere = Directory.CreateDirectory(temp.File("elsewhere")).FullName;
        var run = await RunAsync(Path.Combine(tools, "parity"), ["run", "--preset", "tinyllama-mini", "--quant", "Q4_K_M", "--steps", "2"], elsewhere);
        Assert.That(run.Code, Is.Zero, run.Output);
        Assert.That(run.Output, Does.Contain("PARITY HOLDS"));
        Assert.That(File.Exists(Path.Combine(elsewhere, "out", "run", "report.html")), Is.True, "the reports land under the working directory");
    }

    /// <summary>llama.cpp's four linux-x64 library variants inside; of ScottPlot's native libraries, linux-x64's alone.</summary>
    private static void AssertLean(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.That(names.Where(n => n.EndsWith("/libllama.so", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(4));
        Assert.That(names, Has.Some.EndsWith("/parity-runner.dll").And.Some.EndsWith("/parity-runner.runtimeconfig.json"));
        Assert.That(names.Where(n => n.Contains("/runtimes/", StringComparison.Ordinal) && !n.Contains("/runtimes/linux-x64/", StringComparison.Ordinal)), Is.Empty);
        Assert.That(new FileInfo(package).Length, Is.LessThan(25L << 20), "under 25 MiB");
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, IEnumerable<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.Environment["PARITY_CACHE_DIR"] = Models.Cache.Directory;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
