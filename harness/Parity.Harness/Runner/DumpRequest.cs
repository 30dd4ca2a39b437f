namespace Parity.Harness.Runner;

/// <summary>What to dump: a model, a prompt given as text or token ids, how many greedy steps, where to.</summary>
public sealed record DumpRequest
{
    public required string ModelPath { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>Prompt text, tokenized by the producer; or null when <see cref="Tokens"/> are given.</summary>
    public string? Prompt { get; init; }

    public IReadOnlyList<int>? Tokens { get; init; }

    public int Steps { get; init; }

    /// <summary>Only tensors whose name matches this regular expression.</summary>
    public string? Filter { get; init; }

    public bool AddSpecial { get; init; } = true;

    public bool ParseSpecial { get; init; } = true;

    public LlamaCppDecodeOptions Decode { get; init; } = LlamaCppDecodeOptions.Default;
}
