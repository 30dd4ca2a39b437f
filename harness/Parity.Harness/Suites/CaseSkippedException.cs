namespace Parity.Harness.Suites;

/// <summary>A case that cannot run here for a stated reason (e.g. the shared fixtures are absent): skipped, not failed.</summary>
public sealed class CaseSkippedException(string reason) : Exception(reason);
