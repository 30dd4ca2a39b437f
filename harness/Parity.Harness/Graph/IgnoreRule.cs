namespace Parity.Harness.Graph;

/// <summary>Tensors (by name, a regular expression) that are not compared, and why.</summary>
public sealed record IgnoreRule
{
    public required string Pattern { get; init; }

    public required string Reason { get; init; }
}
