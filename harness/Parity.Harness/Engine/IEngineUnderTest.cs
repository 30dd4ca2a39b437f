using Parity.Harness.Compare;
using Parity.Harness.Runner;

namespace Parity.Harness.Engine;

/// <summary>
/// An engine under test: runs a model on token ids and writes a Parity dump of its intermediate tensors. Parity's own
/// engine is one (<see cref="BuiltInEngine"/>); an engine in another process speaks the parity-engine protocol
/// (<see cref="ExternalEngine"/>). Run, check, bisect and bench take any implementation.
/// </summary>
public interface IEngineUnderTest
{
    /// <summary>The engine's name, as reports and errors show it.</summary>
    string Name { get; }

    /// <summary>How its tensor names stand for llama.cpp's keys; null when it writes llama.cpp's names.</summary>
    NameMap? Names { get; }

    /// <summary>
    /// Whether it follows llama.cpp's flash attention (its fused node and rounding), so llama.cpp's <c>auto</c> may turn
    /// flash attention on for the comparison; an engine that computes attention its own way is compared with llama.cpp's
    /// plain attention unless flash attention is asked for.
    /// </summary>
    bool FollowsFlashAttention { get; }

    /// <summary>Whether it honours <see cref="EngineDumpCall.ForceFrom"/> (op-level teacher forcing, which bisect needs).</summary>
    bool CanTeacherForce { get; }

    /// <summary>
    /// Throws, naming what, when the engine is known not to run this model (an architecture, hyperparameter or tensor
    /// type it does not implement); called as soon as the model is known. An engine that can only tell by trying
    /// refuses in <see cref="DumpAsync"/> instead.
    /// </summary>
    void CheckSupported(string modelPath);

    /// <summary>Throws, naming the option, when the engine is known not to run these settings or a prompt this long; called before llama.cpp runs.</summary>
    void CheckSupported(LlamaCppDecodeOptions decode, int promptTokens);

    /// <summary>Runs <paramref name="run"/> and returns the complete dump; nothing is left at the output on failure.</summary>
    Task<DumpResult> DumpAsync(EngineDumpCall run, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Loads the bench's model at <paramref name="threads"/> threads, ready to time its prompt and generation.</summary>
    Task<IEngineTimer> OpenTimerAsync(Bench.BenchOptions options, int threads, CancellationToken cancellationToken = default);
}
