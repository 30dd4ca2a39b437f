namespace Parity.Harness.Suites;

/// <summary>How a received snapshot compared with the verified one.</summary>
public enum SnapshotOutcome
{
    /// <summary>Identical: any stale <c>.received.json</c> was removed.</summary>
    Matches,

    /// <summary>Different: <c>.received.json</c> written, the diff says how.</summary>
    Changed,

    /// <summary>No <c>.verified.json</c> yet: <c>.received.json</c> written for a first accept.</summary>
    New,
}
