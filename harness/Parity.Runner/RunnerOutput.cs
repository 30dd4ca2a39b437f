using System.Text.Json;
using System.Text.Json.Nodes;

namespace Parity.Runner;

/// <summary>The runner prints exactly one JSON object on stdout per verb; logs go to stderr.</summary>
internal static class RunnerOutput
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    public static int Write(JsonObject result)
    {
        Console.Out.WriteLine(result.ToJsonString(Options));
        Console.Out.Flush();
        return RunnerExitCodes.Ok;
    }

    /// <summary>How far the verb is, on stderr (stdout carries only the result); the harness shows it as progress.</summary>
    public static void Progress(long done, long total, string unit) => Console.Error.WriteLine(Parity.Dump.ProgressLine.Format(done, total, unit));

    public static JsonArray Array<T>(IEnumerable<T> values) => new([.. values.Select(v => JsonValue.Create(v))]);
}
