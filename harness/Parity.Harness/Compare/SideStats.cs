namespace Parity.Harness.Compare;

/// <summary>One side's summary of a tensor: the per-layer numbers an engine author first looks at (RMS, mean), plus range and bad values.</summary>
public sealed record SideStats(double Rms, double Mean, double Min, double Max, long NaN, long Inf);
