using System.Diagnostics;
using Parity.Engine.Generation;
using Parity.Engine.Model;
using Parity.Harness.Bench;
using Parity.Runner;

namespace Parity.Harness.Engine;

/// <summary>Parity's engine in this process, loaded once and warmed up, timed on the runner's bench prompt.</summary>
internal sealed class BuiltInEngineTimer : IEngineTimer
{
    private readonly Transformer _model;
    private readonly int[] _prompt;
    private readonly int _depth;
    private readonly int _genTokens;

    public BuiltInEngineTimer(BenchOptions options, int threads, NumericsMode numerics)
    {
        _model = Transformer.Load(options.ModelPath, new EngineOptions
        {
            Threads = threads,
            MaxBatch = Math.Max(options.PromptTokens, options.Depth),
            ContextSize = (options.Depth + options.PromptTokens + options.GenTokens + 255) / 256 * 256,
            KvCache = KvCacheType.F16,
            FlashAttention = options.FlashAttention,
            Numerics = numerics,
            Repack = options.Repack,
        });
        _prompt = BenchTokens.Prompt(options.PromptTokens, _model.Config.NVocab);
        _depth = options.Depth;
        _genTokens = options.GenTokens;
        // The depth's context is decoded once; every repetition truncates the cache back to it, which leaves the
        // same cells as a fresh fill at a fraction of the cost.
        if (_depth > 0)
        {
            _model.Forward(BenchTokens.Prompt(_depth, _model.Config.NVocab), allLogits: false);
        }

        // The peak from here on is this engine run's (not a model synthesis or an earlier thread count's).
        ProcessMemory.ResetPeak();
        // Warm-up: page faults, and the JIT's tiering, which promotes hot kernels in the background some calls after
        // their first use; a single pass left some of that inside the measured repetitions.
        for (var warm = 0; warm < 3; warm++)
        {
            Time();
        }
    }

    public long PeakRssBytes => ProcessMemory.PeakResidentBytes;

    public Task<(double PromptSeconds, double GenSeconds)> TimeAsync(CancellationToken cancellationToken = default) => Task.FromResult(Time());

    public void Dispose() => _model.Dispose();

    private (double PromptSeconds, double GenSeconds) Time()
    {
        _model.Truncate(_depth);

        var sw = Stopwatch.StartNew();
        var logits = _model.Forward(_prompt, allLogits: false);
        var pp = sw.Elapsed.TotalSeconds;
        var next = Sampler.ArgMax(logits);
        var single = new int[1];
        sw.Restart();
        for (var i = 0; i < _genTokens; i++)
        {
            single[0] = next;
            next = Sampler.ArgMax(_model.Forward(single, allLogits: false));
        }

        return (pp, sw.Elapsed.TotalSeconds);
    }
}
