using System.Text.Json;
using Parity.Gguf;
using Parity.Harness.Bench;
using Parity.Runner;

namespace Parity.Harness.Engine;

/// <summary>
/// An external engine timed through the protocol's <c>bench</c> action: each repetition is one call that loads the
/// model, runs the prompt and generation twice and reports its own seconds; the second (warm) pass counts, as for the
/// llama.cpp runner.
/// </summary>
internal sealed class ExternalEngineTimer(ExternalEngine engine, BenchOptions options, int threads) : IEngineTimer
{
    private readonly (int[] Context, int[] Prompt) _tokens = Tokens(options);

    public long PeakRssBytes { get; private set; }

    public async Task<(double PromptSeconds, double GenSeconds)> TimeAsync(CancellationToken cancellationToken = default)
    {
        var (prompt, gen, peak) = await engine.BenchAsync(options.ModelPath, _tokens.Context, _tokens.Prompt, options.GenTokens, threads, cancellationToken).ConfigureAwait(false);
        PeakRssBytes = Math.Max(PeakRssBytes, peak);
        return (prompt, gen);
    }

    public void Dispose()
    {
    }

    // The depth's context and the prompt, drawn from the vocabulary as the runner draws them.
    private static (int[] Context, int[] Prompt) Tokens(BenchOptions options)
    {
        using var file = GgufFile.Open(options.ModelPath);
        var vocabulary = file.TryGetValue(GgufKeys.Tokens, out var tokens) && tokens.ArrayLength > 0
            ? (int)tokens.ArrayLength
            : throw new InvalidDataException($"{options.ModelPath}: {GgufKeys.Tokens} is missing; the bench prompt is drawn from the vocabulary");
        return (BenchTokens.Prompt(options.Depth, vocabulary), BenchTokens.Prompt(options.PromptTokens, vocabulary));
    }
}

/// <summary>The protocol's answer to <c>bench</c>.</summary>
internal static class ExternalBenchAnswer
{
    /// <summary>The last repetition's seconds and the peak RSS, or the problem with the answer file.</summary>
    public static ((double Prompt, double Gen, long PeakRss)? Answer, string? Problem) Read(string path)
    {
        if (!File.Exists(path))
        {
            return (null, $"exited 0 without writing its bench answer to {path}");
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            var prompt = LastPositive(root, "promptSeconds");
            var gen = LastPositive(root, "genSeconds");
            var peak = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("peakRssBytes", out var p) && p.TryGetInt64(out var bytes) && bytes >= 0 ? bytes : 0;
            return prompt is null || gen is null
                ? (null, "its bench answer is wrong: expected promptSeconds and genSeconds, arrays of positive seconds")
                : ((prompt.Value, gen.Value, peak), null);
        }
        catch (JsonException e)
        {
            return (null, $"its bench answer is not JSON ({e.Message})");
        }
    }

    private static double? LastPositive(JsonElement root, string member)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(member, out var a) || a.ValueKind != JsonValueKind.Array || a.GetArrayLength() == 0)
        {
            return null;
        }

        var last = a[a.GetArrayLength() - 1];
        return last.ValueKind == JsonValueKind.Number && last.GetDouble() is var s && s > 0 && double.IsFinite(s) ? s : null;
    }
}
