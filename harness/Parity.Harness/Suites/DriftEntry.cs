namespace Parity.Harness.Suites;

/// <summary>One tensor of a regenerated golden that moved against the previous golden.</summary>
public sealed record DriftEntry(string Case, int Step, string Key, string Status, double Nmse, double MaxAbsError);
