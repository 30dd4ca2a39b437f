namespace Parity.Runner;

/// <summary>The benchmark prompt: BOS, then ids cycling through the vocabulary past the special and byte tokens.</summary>
public static class BenchTokens
{
    public static int[] Prompt(int length, int vocabSize) =>
        [.. Enumerable.Range(0, length).Select(i => i == 0 ? 1 : 259 + (i * 7 % Math.Max(1, vocabSize - 259)))];
}
