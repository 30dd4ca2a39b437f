namespace Parity.Dump;

/// <summary>
/// <c>manifest.json</c> of one step directory: where the step came from and every tensor in graph order.
/// The run-level fields (<see cref="Producer"/>, <see cref="Model"/>, <see cref="Prompt"/>, <see cref="Options"/>) are
/// repeated from run.json so a step directory copied on its own still says what it is.
/// </summary>
public sealed record StepManifest
{
    public string Format { get; init; } = DumpFormat.Name;

    public int FormatVersion { get; init; } = DumpFormat.Version;

    public required DumpProducer Producer { get; init; }

    public required DumpModelInfo Model { get; init; }

    public required DumpPrompt Prompt { get; init; }

    /// <summary>0 for the prompt, 1..N for the single-token decode steps.</summary>
    public required int Step { get; init; }

    /// <summary>Positions of the tokens evaluated in this step.</summary>
    public required IReadOnlyList<int> Positions { get; init; }

    /// <summary>The tokens evaluated in this step (the prompt for step 0, the previous step's output after).</summary>
    public required IReadOnlyList<int> Tokens { get; init; }

    /// <summary>All tokens generated so far, including this step's output when the producer knew it; may be empty.</summary>
    public required IReadOnlyList<int> GeneratedTokens { get; init; }

    public required DumpOptions Options { get; init; }

    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The tensors file's name inside the step directory (always <see cref="DumpFormat.TensorsFileName"/> in version 1).</summary>
    public string TensorsFile { get; init; } = DumpFormat.TensorsFileName;

    /// <summary>Graph order; the safetensors header lists the same keys in the same order.</summary>
    public required IReadOnlyList<DumpTensorEntry> Tensors { get; init; }
}
