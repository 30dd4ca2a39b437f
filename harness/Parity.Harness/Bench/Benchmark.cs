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
        if (Transformer.FlashAttentionRefusal(options.FlashAttention, KvCacheType.F16, KvCacheType.F16, options.PromptTokens) is { } refusal)
        {
            throw new ArgumentException("bench: " + refusal);
        }

        var results = new List<BenchResult>();
        var (done, total) = (0, options.Threads.Count * options.Reps);
        foreach (var threads in options.Threads)
        {
            var engine = (pp: new List<double>(), tg: new List<double>());
            var llama = (pp: new List<double>(), tg: new List<double>());
            using var model = Transformer.Load(options.ModelPath, new EngineOptions
            {
                Threads = threads,
                MaxBatch = options.PromptTokens,
                ContextSize = (options.PromptTokens + options.GenTokens + 255) / 256 * 256,
                KvCache = KvCacheType.F16,
                FlashAttention = options.FlashAttention,
                Numerics = options.Numerics,
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

            var llamaPeak = 0L;
            for (var rep = 0; rep < options.Reps; rep++)
            {
                progress?.Report(new WorkProgress("bench", done++, total, "repetition", $"{threads} thread(s)"));
                var (pp, tg) = Engine(model, prompt, options.GenTokens);
                engine.pp.Add(options.PromptTokens / pp);
                engine.tg.Add(options.GenTokens / tg);
                var r = await runner.RunAsync("bench", ["--model", options.ModelPath, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--prompt-tokens", options.PromptTokens.ToString(CultureInfo.InvariantCulture), "--gen-tokens", options.GenTokens.ToString(CultureInfo.InvariantCulture), "--reps", "2", "--flash-attn", options.FlashAttention ? "on" : "off"], cancellationToken: cancellationToken).ConfigureAwait(false);
                // The runner's first repetition warms up; keep its second.
                llama.pp.Add(options.PromptTokens / ((JsonArray)r.Json["promptSeconds"]!)[^1]!.GetValue<double>());
                llama.tg.Add(options.GenTokens / ((JsonArray)r.Json["genSeconds"]!)[^1]!.GetValue<double>());
                llamaPeak = Math.Max(llamaPeak, r.Json["peakRssBytes"]?.GetValue<long>() ?? 0);
            }

            results.Add(new BenchResult("engine", threads, engine.pp, engine.tg)
            {
                FirstTokenMs = 1000 * options.PromptTokens / BenchResult.Median(engine.pp),
                PeakRssBytes = Parity.Runner.ProcessMemory.PeakResidentBytes,
            });
            results.Add(new BenchResult("llama.cpp", threads, llama.pp, llama.tg)
            {
                FirstTokenMs = 1000 * options.PromptTokens / BenchResult.Median(llama.pp),
                PeakRssBytes = llamaPeak,
            });
        }

        progress?.Report(new WorkProgress("bench", done, total, "repetition"));
        return results;
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
