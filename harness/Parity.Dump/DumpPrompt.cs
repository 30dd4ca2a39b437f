namespace Parity.Dump;

/// <summary>The prompt of a run. <see cref="Tokens"/> is what was evaluated; <see cref="Text"/> is informational.</summary>
public sealed record DumpPrompt
{
    /// <summary>The prompt text, when the run started from text rather than from token ids.</summary>
    public string? Text { get; init; }

    public required IReadOnlyList<int> Tokens { get; init; }
}
