namespace Parity.Harness.Suites;

/// <summary>
/// <c>parity regen</c> refused before touching anything: a model's bytes differ from the ones the existing golden was
/// made from (<c>--force</c> overrides).
/// </summary>
public sealed class RegenRefusedException(string message) : Exception(message);
