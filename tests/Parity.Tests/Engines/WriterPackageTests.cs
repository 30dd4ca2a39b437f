using System.Diagnostics;
using Parity.Dump;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Engines;

/// <summary>
/// The dump writer as a package a .NET engine references: <c>dotnet pack</c> makes Parity.Dump (with Parity.Gguf), and
/// the ten-line example of docs/external-engines.md, built against the packages alone in a project of its own, writes
/// a dump Parity reads.
/// </summary>
[TestFixture]
public sealed class WriterPackageTests
{
    [Test]
    public async Task The_packed_writer_builds_the_documented_example_into_a_dump_parity_reads()
    {
        using var temp = new TempDirectory();
        var packages = temp.File("packages");
        foreach (var project in new[] { Path.Combine("engine", "Parity.Gguf"), Path.Combine("harness", "Parity.Dump") })
        {
            var pack = await RunAsync("dotnet", ["pack", Path.Combine(RepoRoot.Find(), project), "-c", "Release", "--no-build", "-o", packages], RepoRoot.Find());
            Assert.That(pack.Code, Is.Zero, pack.Output);
        }

        Assert.That(Directory.GetFiles(packages, "*.nupkg").Select(Path.GetFileName), Is.EquivalentTo(new[] { "Parity.Dump.0.1.0.nupkg", "Parity.Gguf.0.1.0.nupkg" }));
        var app = Directory.CreateDirectory(temp.File("my-engine")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"<configuration><packageSources><clear /><add key=\"local\" value=\"{packages}\" /></packageSources></configuration>");
        await File.WriteAllTextAsync(Path.Combine(app, "my-engine.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable></PropertyGroup>
              <ItemGroup><PackageReference Include="Parity.Dump" Version="0.1.0" /></ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), DocumentedExample());

        var model = Models.Synthetic(SyntheticPresets.Micro);
        var output = temp.File("dump");
        var run = await RunAsync("dotnet", ["run", "--project", app, "--", model, output], app);
        Assert.That(run.Code, Is.Zero, run.Output);

        var dump = DumpRun.Open(output);
        Assert.That(dump.Manifest.Producer.Name, Is.EqualTo("my-engine"));
        using var step = dump.OpenStep(0);
        Assert.That(step.Tensors.Select(t => (t.Key, t.Op)), Is.EqualTo(new[] { ("embd", "GET_ROWS") }));
        Assert.That(step.Get("embd").Ne, Is.EqualTo(new long[] { 256, 2, 1, 1 }));
    }

    /// <summary>The .NET example of docs/external-engines.md, as the page shows it.</summary>
    private static string DocumentedExample()
    {
        var page = File.ReadAllText(Path.Combine(RepoRoot.Find(), "docs", "external-engines.md"));
        const string fence = "```csharp\n";
        var start = page.IndexOf(fence, StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "docs/external-engines.md has a csharp example");
        var end = page.IndexOf("```", start + fence.Length, StringComparison.Ordinal);
        return page[(start + fence.Length)..end];
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, IEnumerable<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
