using Parity.Engine.Architectures;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Harness.Compare;
using Parity.Harness.Runner;

namespace Parity.Harness.Engine;

/// <summary>
/// Parity's own engine as an engine under test: runs in this process through <see cref="EngineDumper"/>, writes
/// llama.cpp's names, and in ggml numerics follows the library variant and llama.cpp commit of the reference it is
/// compared with (unless <paramref name="variant"/> or <paramref name="types"/> pins one).
/// </summary>
/// <param name="architectures">The architecture units it picks from (the built-in ones when null).</param>
/// <param name="types">A replacement type table (a kernel under test); its variant then wins.</param>
public sealed class BuiltInEngine(NumericsMode numerics, ArchitectureRegistry? architectures = null, GgmlTypeTable? types = null, GgmlVariant? variant = null) : IEngineUnderTest
{
    public const string EngineName = "parity-engine";

    public string Name => EngineName;

    public NameMap? Names => null;

    public bool CanTeacherForce => true;

    public bool FollowsFlashAttention => true;

    public NumericsMode Numerics => numerics;

    public void CheckSupported(string modelPath) => EngineDumper.CheckSupported(modelPath);

    /// <summary>Every prompt length runs: ggml's one-chunk, split-KV and tiled flash-attention paths are all followed.</summary>
    public void CheckSupported(LlamaCppDecodeOptions decode, int promptTokens) => EngineDumper.CheckSupported(decode);

    public Task<DumpResult> DumpAsync(EngineDumpCall run, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var followed = variant ?? types?.Variant ?? (run.Reference is { } r ? EngineDumper.VariantFor(r) : GgmlTarget.Variants[0]);
        var target = run.Reference is { } reference ? EngineDumper.TargetFor(reference) : GgmlTarget.Commit;
        var result = EngineDumper.Dump(
            run.Request,
            run.Tokens,
            teacherTokens: run.TeacherTokens,
            numerics: numerics,
            forceFrom: run.ForceFrom,
            force: run.ForceFrom is null ? null : run.Force ?? (_ => true),
            architectures: architectures,
            types: types,
            variant: followed,
            progress: progress,
            target: target);
        return Task.FromResult(result);
    }

    public Task<IEngineTimer> OpenTimerAsync(Bench.BenchOptions options, int threads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.FromResult<IEngineTimer>(new BuiltInEngineTimer(options, threads, numerics));
    }
}
