using System.Diagnostics;
using System.Text.Json;
using Parity.Tests.Support;

namespace Parity.Tests.TestEngine;

/// <summary>
/// Runs tests/Parity.TestEngine (built beside the tests through its project reference, as fake-runner is) with a
/// protocol request written the way Parity writes one.
/// </summary>
internal static class TestEngineProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "Parity.TestEngine.dll");

    public static string NameMap => Path.Combine(RepoRoot.Find(), "tests", "Parity.TestEngine", "transformers.namemap.json");

    /// <summary>A dump request (docs/external-engines.md) with every member the protocol lists.</summary>
    public static Dictionary<string, object?> Dump(string model, IReadOnlyList<int> tokens, int steps, IReadOnlyList<int>? teacherTokens, string output, string? forceFrom = null, IReadOnlyList<string>? force = null) => new()
    {
        ["protocol"] = "parity-engine",
        ["protocolVersion"] = 1,
        ["action"] = "dump",
        ["model"] = model,
        ["tokens"] = tokens,
        ["steps"] = steps,
        ["teacherTokens"] = teacherTokens,
        ["threads"] = 2,
        ["contextSize"] = 256,
        ["output"] = output,
        ["forceFrom"] = forceFrom,
        ["force"] = force,
    };

    /// <summary>Writes <paramref name="request"/> into <paramref name="temp"/> and runs the engine on it.</summary>
    public static (int Code, string Stderr, TimeSpan Elapsed) Run(TempDirectory temp, Dictionary<string, object?> request, bool ropePairingBug = false)
    {
        ArgumentNullException.ThrowIfNull(temp);
        var path = temp.File($"request-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(request));
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Dll);
        if (ropePairingBug)
        {
            start.ArgumentList.Add("--bug");
            start.ArgumentList.Add("rope-pairing");
        }

        start.ArgumentList.Add(path);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the test engine did not finish within 5 minutes on {path}");
        }

        _ = stdout.Result;
        return (process.ExitCode, stderr.Result, clock.Elapsed);
    }
}
