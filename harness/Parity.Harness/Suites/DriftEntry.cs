namespace Parity.Harness.Suites;

/// <summary>One tensor that moved between two llama.cpp dumps of the same model and tokens (old golden and new, or two builds).</summary>
public sealed record DriftEntry(string Case, int Step, string Key, string Status, double Nmse, double MaxAbsError, string Op = "", int? Layer = null);
