namespace Parity.Dump;

/// <summary><c>run.json</c>: one forward pass per step directory, listed in <see cref="Steps"/> in order.</summary>
public sealed record RunManifest
{
    public string Format { get; init; } = DumpFormat.Name;

    public int FormatVersion { get; init; } = DumpFormat.Version;

    public required DumpProducer Producer { get; init; }

    public required DumpModelInfo Model { get; init; }

    public required DumpPrompt Prompt { get; init; }

    public required DumpOptions Options { get; init; }

    /// <summary>When the run started.</summary>
    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Step directory names in step order (<c>step-0000</c>, <c>step-0001</c>, ...).</summary>
    public required IReadOnlyList<string> Steps { get; init; }

    /// <summary>Every token the run generated (greedy), in order.</summary>
    public required IReadOnlyList<int> GeneratedTokens { get; init; }

    /// <summary>Free-form notes (e.g. the command line); never interpreted.</summary>
    public IReadOnlyDictionary<string, string>? Notes { get; init; }
}
