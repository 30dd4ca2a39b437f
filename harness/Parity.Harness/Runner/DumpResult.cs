namespace Parity.Harness.Runner;

/// <summary>A finished dump: its run directory, the prompt's token ids and the greedy tokens each step produced.</summary>
public sealed record DumpResult(string RunDirectory, IReadOnlyList<int> Tokens, IReadOnlyList<int> Generated);
