namespace Parity.Harness.Suites;

/// <summary>
/// How one llama.cpp dump moved against another of the same model and prompt, exactly: identical, moved (which
/// tensors, by how much, the first moving op, per layer), or tokens changed (the greedy tokens parted; steps are
/// compared while they agree).
/// </summary>
public sealed record CaseDrift
{
    public required string Name { get; init; }

    /// <summary>Tensors compared bit for bit (those the graph descriptor compares, over the steps with the same tokens).</summary>
    public required int Compared { get; init; }

    /// <summary>Every tensor that moved (or appeared or vanished), in step and graph order.</summary>
    public required IReadOnlyList<DriftEntry> Moved { get; init; }

    /// <summary>The per-layer table, in layer order, the tensors outside the layer loop last.</summary>
    public required IReadOnlyList<LayerDrift> Layers { get; init; }

    /// <summary>A change of greedy tokens or step count between the two dumps, or null.</summary>
    public string? TokenChange { get; init; }

    public DriftEntry? FirstMoved => Moved.Count == 0 ? null : Moved[0];

    /// <summary>"identical", "moved" or "tokens changed" (which wins over "moved": the later steps are not comparable).</summary>
    public string Outcome => TokenChange is not null ? "tokens changed" : Moved.Count > 0 ? "moved" : "identical";
}
