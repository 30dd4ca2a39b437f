namespace Parity.Harness.Suites;

/// <summary>
/// What <c>parity regen</c> did: cases regenerated, cases kept (skipped, with the reason), and the reference-drift
/// report (new goldens against the old, tensor by tensor).
/// </summary>
public sealed record RegenResult
{
    public required IReadOnlyList<string> Regenerated { get; init; }

    /// <summary>Case name → why it kept its previous golden.</summary>
    public required IReadOnlyDictionary<string, string> Skipped { get; init; }

    /// <summary>Cases that had no previous golden (no drift to report).</summary>
    public required IReadOnlyList<string> New { get; init; }

    /// <summary>Case → tensors compared against the previous golden.</summary>
    public required IReadOnlyDictionary<string, int> Compared { get; init; }

    /// <summary>Every tensor whose values moved (or that appeared or vanished), in case and graph order.</summary>
    public required IReadOnlyList<DriftEntry> Drift { get; init; }

    /// <summary>Case → a change of greedy tokens or prompt tokens between the old golden and the new one.</summary>
    public required IReadOnlyDictionary<string, string> TokenChanges { get; init; }

    /// <summary>Each compared case's drift (identical, moved, tokens changed), in the order regenerated.</summary>
    public IReadOnlyList<CaseDrift> Cases { get; init; } = [];

    /// <summary>The build change ("old build -> new build") when the new goldens come from another llama.cpp build, else null.</summary>
    public string? Builds { get; init; }
}
