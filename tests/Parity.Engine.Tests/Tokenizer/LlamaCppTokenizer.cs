using System.Globalization;
using System.Text.Json.Nodes;
using Parity.Harness.Runner;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// llama.cpp's tokenizer through parity-runner (one process per call, about 0.15 s). Calls run two at a time, the
/// machine's core count, so a few hundred comparisons stay well under a minute. Without a usable runner the test is
/// skipped with the reason.
/// </summary>
internal static class LlamaCppTokenizer
{
    private const int Parallelism = 2;

    private static readonly LlamaCppRunner Runner = LlamaCppRunner.CreateDefault();
    private static readonly Lazy<Task<string?>> Unavailable = new(ProbeAsync);

    public static async Task RequireAsync()
    {
        if (await Unavailable.Value is { } reason)
        {
            Assert.Ignore($"needs llama.cpp through parity-runner: {reason}");
        }
    }

    public static Task<int[]> TokenizeAsync(string model, string text, bool addSpecial, bool parseSpecial) =>
        Runner.TokenizeAsync(model, text, addSpecial, parseSpecial);

    /// <summary>Many tokenize/detokenize calls on one vocabulary in a single runner process.</summary>
    public static Task<TokenizerCallResult[]> TokenizeBatchAsync(string model, IReadOnlyList<TokenizerCall> calls) =>
        Runner.TokenizeBatchAsync(model, calls);

    /// <summary>llama_detokenize's text (decoded as UTF-8 by the runner) and each token's llama_token_to_piece bytes.</summary>
    public static async Task<(string Text, byte[][] Pieces)> DetokenizeAsync(string model, IReadOnlyList<int> tokens, bool removeSpecial, bool unparseSpecial)
    {
        var args = new List<string> { "--model", model, "--tokens", string.Join(',', tokens.Select(t => t.ToString(CultureInfo.InvariantCulture))) };
        if (removeSpecial)
        {
            args.Add("--remove-special");
        }

        if (unparseSpecial)
        {
            args.Add("--unparse-special");
        }

        var result = await Runner.RunAsync("detokenize", args);
        var text = result.Json["text"]?.GetValue<string>() ?? throw new InvalidOperationException($"no 'text' in the runner's result: {result.Json}");
        var pieces = (result.Json["piecesHex"] as JsonArray ?? throw new InvalidOperationException($"no 'piecesHex' in the runner's result: {result.Json}"))
            .Select(p => Convert.FromHexString(p!.GetValue<string>()))
            .ToArray();
        return (text, pieces);
    }

    /// <summary>Runs <paramref name="call"/> on every item, <see cref="Parallelism"/> at a time, keeping the order.</summary>
    public static async Task<TResult[]> MapAsync<TItem, TResult>(IReadOnlyList<TItem> items, Func<TItem, Task<TResult>> call)
    {
        var results = new TResult[items.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism },
            async (i, _) => results[i] = await call(items[i]));
        return results;
    }

    private static async Task<string?> ProbeAsync()
    {
        try
        {
            await Runner.InfoAsync();
            return null;
        }
        catch (LlamaCppRunnerException e) when (e.Kind is RunnerFailureKind.CannotStart or RunnerFailureKind.MissingLibrary or RunnerFailureKind.AbiMismatch)
        {
            return e.Message;
        }
    }
}
