using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Parity.Engine.Model;
using Parity.Harness.Runner;

namespace Parity.Harness.Bench;

/// <summary>
/// Engine and llama.cpp on the same model, prompt length and threads, repetitions interleaved (engine, llama.cpp,
/// engine, ...) so machine noise hits both. The engine runs in this process; llama.cpp through the runner, which
/// times itself (process start and model load are excluded on both sides).
/// </summary>
public static class Benchmark
{
    public static async Task<IReadOnlyList<BenchResult>> RunAsync(BenchOptions options, LlamaCppRunner runner, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runner);
        var results = new List<BenchResult>();
        var (done, total) = (0, options.Threads.Count * options.Reps);
        foreach (var threads in options.Threads)
        {
            using var model = Transformer.Load(options.ModelPath, new EngineOptions
            {
                Threads = threads,
                MaxBatch = options.PromptTokens,
                ContextSize = (options.PromptTokens + options.GenTokens + 255) / 256 * 256,
                KvCache = KvCacheType.F16,
                FlashAttention = options.FlashAttention,
                Numerics = options.Numerics,
                Repack = options.Repack,
            });
            var prompt = Parity.Runner.BenchTokens.Prompt(options.PromptTokens, model.Config.NVocab);

            // The peak from here on is this engine run's (not a model synthesis or an earlier thread count's).
            Parity.Runner.ProcessMemory.ResetPeak();
            // Warm-up: page faults, and the JIT's tiering, which promotes hot kernels in the background (~30 calls
            // and 100 ms after first use); one pass left some of that inside the measured repetitions.
            for (var warm = 0; warm < 3; warm++)
            {
                Engine(model, prompt, options.GenTokens);
            }

            var (engine, llama, plain) = (new Side("engine", threads), new Side("llama.cpp", threads), new Side(PlainSide, threads));
            for (var rep = 0; rep < options.Reps; rep++)
            {
                progress?.Report(new WorkProgress("bench", done++, total, "repetition", $"{threads} thread(s)"));
                var (pp, tg) = Engine(model, prompt, options.GenTokens);
                engine.Add(options.PromptTokens / pp, options.GenTokens / tg, 0);
                await LlamaCppAsync(runner, options, threads, options.Repack, options.FlashAttention, llama, cancellationToken).ConfigureAwait(false);
                if (options.Repack || options.FlashAttention)
                {
                    await LlamaCppAsync(runner, options, threads, repack: false, flashAttention: false, plain, cancellationToken).ConfigureAwait(false);
                }
            }

            engine.Add(double.NaN, double.NaN, Parity.Runner.ProcessMemory.PeakResidentBytes);
            results.Add(engine.Result(options.PromptTokens));
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
        string[] args = ["--model", options.ModelPath, "--threads", threads.ToString(inv), "--prompt-tokens", options.PromptTokens.ToString(inv), "--gen-tokens", options.GenTokens.ToString(inv), "--reps", "2", "--flash-attn", flashAttention ? "on" : "off", .. repack ? (string[])["--repack"] : []];
        var r = await runner.RunAsync("bench", args, cancellationToken: cancellationToken).ConfigureAwait(false);
        // The runner's first repetition warms up; keep its second.
        into.Add(
            options.PromptTokens / ((JsonArray)r.Json["promptSeconds"]!)[^1]!.GetValue<double>(),
            options.GenTokens / ((JsonArray)r.Json["genSeconds"]!)[^1]!.GetValue<double>(),
            r.Json["peakRssBytes"]?.GetValue<long>() ?? 0);
    }

    private static (double Prompt, double Gen) Engine(Transformer model, int[] prompt, int genTokens)
    {
        model.Reset();
        var sw = Stopwatch.StartNew();
        var logits = model.Forward(prompt, allLogits: false);
        var pp = sw.Elapsed.TotalSeconds;
        var next = Parity.Engine.Generation.Sampler.ArgMax(logits);
        var single = new int[1];
        sw.Restart();
        for (var i = 0; i < genTokens; i++)
        {
            single[0] = next;
            next = Parity.Engine.Generation.Sampler.ArgMax(model.Forward(single, allLogits: false));
        }

        return (pp, sw.Elapsed.TotalSeconds);
    }
}
