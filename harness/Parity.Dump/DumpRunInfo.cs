namespace Parity.Dump;

/// <summary>What a run writer knows up front: the fields shared by run.json and every step manifest.</summary>
public sealed record DumpRunInfo
{
    public required DumpProducer Producer { get; init; }

    public required DumpModelInfo Model { get; init; }

    public required DumpPrompt Prompt { get; init; }

    public required DumpOptions Options { get; init; }

    /// <summary>Copied to run.json's <c>notes</c>.</summary>
    public IReadOnlyDictionary<string, string>? Notes { get; init; }
}
