namespace Parity.Harness.Bench;

/// <summary>What <c>parity bench</c> measures: the same model, prompt length, generated tokens and threads on both sides.</summary>
public sealed record BenchOptions
{
    public required string ModelPath { get; init; }

    public IReadOnlyList<int> Threads { get; init; } = [1, 2];

    public int PromptTokens { get; init; } = 64;

    public int GenTokens { get; init; } = 16;

    public int Reps { get; init; } = 3;

    /// <summary>Context tokens already in the cache before the prompt (llama-bench's depth): decoded once, untimed; each repetition cuts the cache back to them.</summary>
    public int Depth { get; init; }

    /// <summary>The engine's numerics: ggml (the mode parity is checked in, so the speed that matters) or f32.</summary>
    public Parity.Engine.Model.NumericsMode Numerics { get; init; } = Parity.Engine.Model.NumericsMode.Ggml;

    /// <summary>llama.cpp repacks weights for its CPU kernels, and the engine multiplies as llama.cpp then does.</summary>
    public bool Repack { get; init; }

    /// <summary>Flash attention on both sides (F16 KV cache).</summary>
    public bool FlashAttention { get; init; }

    /// <summary>The engine under test's name, for the table's header.</summary>
    public string EngineName { get; init; } = Parity.Harness.Engine.BuiltInEngine.EngineName;
}
