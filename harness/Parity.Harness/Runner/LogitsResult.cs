namespace Parity.Harness.Runner;

/// <summary>Logits rows from a plain llama.cpp decode: one per prompt position, then one per greedy step.</summary>
public sealed record LogitsResult(int VocabSize, IReadOnlyList<float[]> Rows, IReadOnlyList<int> Generated);
