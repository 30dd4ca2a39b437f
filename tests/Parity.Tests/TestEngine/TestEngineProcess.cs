using System.Diagnostics;
using System.Text.Json;
using Parity.Dump;
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

    /// <summary>
    /// A dump request (docs/external-engines.md) with every member the protocol lists; <paramref name="options"/> is
    /// llama.cpp's configuration (default: llama.cpp's defaults, as Parity runs it).
    /// </summary>
    public static Dictionary<string, object?> Dump(string model, IReadOnlyList<int> tokens, int steps, IReadOnlyList<int>? teacherTokens, string output, string? forceFrom = null, IReadOnlyList<string>? force = null, DumpOptions? options = null) => new()
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
        ["options"] = Options(options ?? new DumpOptions { Threads = 2, FlashAttention = false, TypeK = "f16", TypeV = "f16", Repack = true, NCtx = 256, NBatch = tokens.Count, OutputAll = true }),
        ["forceFrom"] = forceFrom,
        ["force"] = force,
    };

    /// <summary>The command that runs the engine: <c>dotnet Parity.TestEngine.dll [--bug rope-pairing]</c>.</summary>
    public static string[] Command(bool ropePairingBug = false) =>
        [Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", Dll, .. ropePairingBug ? new[] { "--bug", "rope-pairing" } : []];

    /// <summary>A dump's options as the request spells them (docs/dump-format.md).</summary>
    public static Dictionary<string, object?> Options(DumpOptions o) => new()
    {
        ["threads"] = o.Threads,
        ["flashAttention"] = o.FlashAttention,
        ["typeK"] = o.TypeK,
        ["typeV"] = o.TypeV,
        ["repack"] = o.Repack,
        ["nCtx"] = o.NCtx,
        ["nBatch"] = o.NBatch,
        ["filter"] = o.Filter,
        ["outputAll"] = o.OutputAll,
    };

    /// <summary>Writes <paramref name="request"/> into <paramref name="temp"/> and runs the engine on it.</summary>
    public static (int Code, string Stderr, TimeSpan Elapsed) Run(TempDirectory temp, Dictionary<string, object?> request) =>
        Run(temp, request, Command());

    /// <summary>Runs <paramref name="command"/> with the request file's path as one more argument, as Parity does.</summary>
    public static (int Code, string Stderr, TimeSpan Elapsed) Run(TempDirectory temp, Dictionary<string, object?> request, IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(temp);
        ArgumentNullException.ThrowIfNull(command);
        var path = temp.File($"request-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(request));
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
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
