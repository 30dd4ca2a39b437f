using Parity.Dump;
using Parity.Harness.Runner;

namespace Parity.Harness.Engine;

/// <summary>One run asked of an engine under test.</summary>
public sealed record EngineDumpCall
{
    /// <summary>The model, the output directory, the decode steps, llama.cpp's settings and the tensor filter.</summary>
    public required DumpRequest Request { get; init; }

    /// <summary>The prompt's token ids, evaluated as one batch in step 0.</summary>
    public required IReadOnlyList<int> Tokens { get; init; }

    /// <summary>When given, decode step s feeds <c>TeacherTokens[s-1]</c> (the reference's greedy choice) instead of the engine's own.</summary>
    public IReadOnlyList<int>? TeacherTokens { get; init; }

    /// <summary>
    /// Op-level teacher forcing: a dump of the same tokens, under the engine's own names and shapes, whose values replace
    /// the engine's for the tensors <see cref="Force"/> selects (every one when null), after the engine recorded its own.
    /// Decode steps then feed <c>ForceFrom</c>'s generated tokens.
    /// </summary>
    public DumpRun? ForceFrom { get; init; }

    /// <summary>With <see cref="ForceFrom"/>: which tensor keys (<c>name</c> or <c>name#k</c>) to force (null: all).</summary>
    public Func<string, bool>? Force { get; init; }

    /// <summary>Who made the reference this run will be compared with; an engine with per-build numerics follows it.</summary>
    public DumpProducer? Reference { get; init; }
}
