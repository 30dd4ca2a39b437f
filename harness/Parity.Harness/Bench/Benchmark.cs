using System.Globalization;
using System.Text.Json.Nodes;
using Parity.Harness.Engine;
using Parity.Harness.Runner;

namespace Parity.Harness.Bench;

/// <summary>
/// Engine and llama.cpp on the same model, prompt length and threads, repetitions interleaved (engine, llama.cpp,
/// engine, ...) so machine noise hits both. The engine under test times itself through its <see cref="IEngineTimer"/>;
/// llama.cpp runs through the runner, which times itself (process start and model load are excluded on both sides).
/// </summary>
public static class Benchmark
{
    /// <param name="engine">The engine under test (default: Parity's own, in <see cref="BenchOptions.Numerics"/>).</param>
    public static async Task<IReadOnlyList<BenchResult>> RunAsync(BenchOptions options, LlamaCppRunner runner, IEngineUnderTest? engine = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runner);
        engine ??= new BuiltInEngine(options.Numerics);
        var results = new List<BenchResult>();
        var (done, total) = (0, options.Threads.Count * options.Reps);
        foreach (var threads in options.Threads)
        {
            using var timer = await engine.OpenTimerAsync(options, threads, cancellationToken).ConfigureAwait(false);
            var (mine, llama, plain) = (new Side("engine", threads), new Side("llama.cpp", threads), new Side(PlainSide, threads));
            for (var rep = 0; rep < options.Reps; rep++)
            {
                progress?.Report(new WorkProgress("bench", done++, total, "repetition", $"{threads} thread(s)"));
                var (pp, tg) = await timer.TimeAsync(cancellationToken).ConfigureAwait(false);
                mine.Add(options.PromptTokens / pp, options.GenTokens / tg, 0);
                await LlamaCppAsync(runner, options, threads, options.Repack, options.FlashAttention, llama, cancellationToken).ConfigureAwait(false);
                if (options.Repack || options.FlashAttention)
                {
                    await LlamaCppAsync(runner, options, threads, repack: false, flashAttention: false, plain, cancellationToken).ConfigureAwait(false);
                }
            }

            mine.Add(double.NaN, double.NaN, timer.PeakRssBytes);
            results.Add(mine.Result(options.PromptTokens));
            results.Add(llama.Result(options.PromptTokens));
            if (options.Repack || options.FlashAttention)
            {
                results.Add(plain.Result(options.PromptTokens));
            }
        }

        progress?.Report(new WorkProgress("bench", done, total, "repetition"));
        return results;
    }

    /// <summary>The side name of llama.cpp without repacking, measured beside its default configuration.</summary>
    public const string PlainSide = "llama.cpp plain";

    /// <summary>One side's repetitions at one thread count, and its peak resident set.</summary>
    private sealed class Side(string name, int threads)
    {
        private readonly List<double> _pp = [];
        private readonly List<double> _tg = [];
        private long _peak;

        /// <summary>One repetition's tokens/s (NaN: none, only a peak) and the peak resident set seen.</summary>
        public void Add(double pp, double tg, long peakRss)
        {
            if (!double.IsNaN(pp))
            {
                _pp.Add(pp);
                _tg.Add(tg);
            }

            _peak = Math.Max(_peak, peakRss);
        }

        public BenchResult Result(int promptTokens) => new(name, threads, _pp, _tg)
        {
            FirstTokenMs = 1000 * promptTokens / BenchResult.Median(_pp),
            PeakRssBytes = _peak,
        };
    }

    /// <summary>One repetition of the runner's bench, added to <paramref name="into"/>.</summary>
    private static async Task LlamaCppAsync(LlamaCppRunner runner, BenchOptions options, int threads, bool repack, bool flashAttention, Side into, CancellationToken cancellationToken)
    {
        var inv = CultureInfo.InvariantCulture;
        string[] args = ["--model", options.ModelPath, "--threads", threads.ToString(inv), "--prompt-tokens", options.PromptTokens.ToString(inv), "--gen-tokens", options.GenTokens.ToString(inv), "--depth", options.Depth.ToString(inv), "--reps", "2", "--flash-attn", flashAttention ? "on" : "off", .. repack ? (string[])["--repack"] : []];
        var r = await runner.RunAsync("bench", args, cancellationToken: cancellationToken).ConfigureAwait(false);
        // The runner's first repetition warms up; keep its second.
        into.Add(
            options.PromptTokens / ((JsonArray)r.Json["promptSeconds"]!)[^1]!.GetValue<double>(),
            options.GenTokens / ((JsonArray)r.Json["genSeconds"]!)[^1]!.GetValue<double>(),
            r.Json["peakRssBytes"]?.GetValue<long>() ?? 0);
    }
}
