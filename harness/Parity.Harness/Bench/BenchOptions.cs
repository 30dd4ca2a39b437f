namespace Parity.Harness.Bench;

/// <summary>What <c>parity bench</c> measures: the same model, prompt length, generated tokens and threads on both sides.</summary>
public sealed record BenchOptions
{
    public required string ModelPath { get; init; }

    public IReadOnlyList<int> Threads { get; init; } = [1, 2];

    public int PromptTokens { get; init; } = 64;

    public int GenTokens { get; init; } = 16;

    public int Reps { get; init; } = 3;
}
