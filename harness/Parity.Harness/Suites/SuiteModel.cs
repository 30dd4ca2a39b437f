namespace Parity.Harness.Suites;

/// <summary>
/// A case's model: a synthetic preset (regenerated deterministically, never committed) or a file, either one
/// quantized by llama.cpp to <see cref="Quant"/>. Files are given relative to the shared fixtures directory
/// (<see cref="Fixture"/>: absent fixtures skip the case) or to the suite directory (<see cref="Path"/>).
/// </summary>
public sealed record SuiteModel
{
    public string? Preset { get; init; }

    public ulong Seed { get; init; }

    /// <summary>A file under the shared fixtures (<c>$PARITY_FIXTURES</c> or <c>../shared/fixtures</c> beside the repo).</summary>
    public string? Fixture { get; init; }

    /// <summary>A file relative to the suite directory, or absolute.</summary>
    public string? Path { get; init; }

    /// <summary>SHA-256 of the source file (<see cref="Fixture"/> or <see cref="Path"/>) before quantization; checked when given.</summary>
    public string? Sha256 { get; init; }

    /// <summary>llama.cpp file type (F32 keeps the source as it is).</summary>
    public string Quant { get; init; } = "F32";

    public string Describe() =>
        (Preset is not null ? $"preset {Preset} seed {Seed}" : Fixture is not null ? $"fixture {Fixture}" : $"file {Path}") + $", {Quant}";
}
