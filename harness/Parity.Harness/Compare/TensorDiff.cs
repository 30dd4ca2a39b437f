namespace Parity.Harness.Compare;

/// <summary>One tensor of a step: the pair, its metrics, the rule it was held to, and the verdict.</summary>
public sealed record TensorDiff
{
    public required string Key { get; init; }

    public required string Name { get; init; }

    public required string Op { get; init; }

    public int? Layer { get; init; }

    public IReadOnlyList<long>? NeA { get; init; }

    public IReadOnlyList<long>? NeB { get; init; }

    public TensorMetrics? Metrics { get; init; }

    public ToleranceRule? Rule { get; init; }

    public required TensorStatus Status { get; init; }

    /// <summary>A known layout mistake that explains the difference ("matches under RoPE NEOX pairing"), or why not compared.</summary>
    public string? Note { get; init; }

    /// <summary>True for every outcome that breaks parity (everything but passed and not compared).</summary>
    public bool IsFailure => Status is not (TensorStatus.Passed or TensorStatus.NotCompared);

    /// <summary>Labels of the ggml dimensions, for reading <see cref="TensorMetrics.MaxAbsErrorAt"/>.</summary>
    public IReadOnlyList<string>? DimensionLabels { get; init; }
}
