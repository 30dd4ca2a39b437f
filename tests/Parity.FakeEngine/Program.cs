using System.Diagnostics;
using System.Text.Json.Nodes;
using Parity.Tests.Fakes;

namespace Parity.FakeEngine;

/// <summary>
/// <c>fake-engine MODE [DUMP] REQUEST</c>. The capabilities handshake is answered well in every mode but
/// <c>bad-capabilities</c>; a dump request is answered as MODE says: <c>copy</c> (DUMP copied to the output: a good
/// dump when DUMP ran the request's tokens), <c>crash</c> (half a dump, then SIGSEGV), <c>hang</c> (with a child
/// process; both pids go to <c>PARITY_FAKE_PIDFILE</c>), <c>exit:N</c>, <c>garbage</c> (a run.json that is not JSON),
/// <c>missing-step</c> and <c>wrong-shape</c> (DUMP copied, then its last step dropped or a tensor's <c>ne</c> changed),
/// <c>bench</c> (answers the bench action with fixed seconds). Every request is also copied to
/// <c>PARITY_FAKE_REQUESTS</c> when set, so a test can read what the harness asked.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var mode = args[0];
        var request = JsonNode.Parse(File.ReadAllText(args[^1]))!.AsObject();
        var dump = args.Length > 2 ? args[1] : null;
        if (Environment.GetEnvironmentVariable("PARITY_FAKE_REQUESTS") is { } log)
        {
            Directory.CreateDirectory(log);
            File.Copy(args[^1], Path.Combine(log, $"{request["action"]}-{Directory.GetFiles(log).Length}.json"));
        }

        Console.Error.WriteLine($"fake-engine: {request["action"]}, mode {mode}");
        return (string?)request["action"] switch
        {
            "capabilities" => Capabilities(mode, (string)request["response"]!),
            "bench" => Bench((string)request["response"]!),
            _ => Dump(mode, dump, (string)request["output"]!),
        };
    }

    private static int Capabilities(string mode, string response)
    {
        File.WriteAllText(response, mode == "bad-capabilities"
            ? """{ "protocolVersion": 1, "version": "0" }"""
            : """{ "protocolVersion": 1, "name": "fake-engine", "version": "0.1", "teacherForcing": true, "tensors": [".*"], "bench": true }""");
        return 0;
    }

    private static int Bench(string response)
    {
        File.WriteAllText(response, """{ "promptSeconds": [0.5, 0.25], "genSeconds": [1.0, 0.5], "peakRssBytes": 1000000 }""");
        return 0;
    }

    private static int Dump(string mode, string? dump, string output)
    {
        switch (mode)
        {
            case "copy":
                Copy(dump!, output);
                return 0;
            case "crash":
                Directory.CreateDirectory(output);
                File.WriteAllText(Path.Combine(output, "half-written.bin"), "partial");
                Console.Error.WriteLine("fake-engine: about to dereference a bad pointer");
                NativeCrash.Signal(11);
                return 99;
            case "hang":
                var child = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
                if (Environment.GetEnvironmentVariable("PARITY_FAKE_PIDFILE") is { } pidFile)
                {
                    File.WriteAllText(pidFile, $"{Environment.ProcessId} {child.Id}");
                }

                Thread.Sleep(Timeout.Infinite);
                return 99;
            case "garbage":
                Directory.CreateDirectory(output);
                File.WriteAllText(Path.Combine(output, "run.json"), "this is not { json");
                return 0;
            case "missing-step":
                Copy(dump!, output);
                Edit(Path.Combine(output, "run.json"), run => run["steps"]!.AsArray().RemoveAt(run["steps"]!.AsArray().Count - 1));
                return 0;
            case "wrong-shape":
                Copy(dump!, output);
                Edit(Path.Combine(output, "step-0000", "manifest.json"), step =>
                {
                    var ne = step["tensors"]![0]!["ne"]!.AsArray();
                    ne[0] = (long)ne[0]! + 1;
                });
                return 0;
            default:
                if (mode.StartsWith("exit:", StringComparison.Ordinal))
                {
                    Console.Error.WriteLine("fake-engine: architecture 'qwen2' is not implemented");
                    return int.Parse(mode[5..], System.Globalization.CultureInfo.InvariantCulture);
                }

                Console.Error.WriteLine($"fake-engine: unknown mode {mode}");
                return 2;
        }
    }

    private static void Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static void Edit(string path, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }
}
