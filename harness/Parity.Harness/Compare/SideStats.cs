namespace Parity.Harness.Compare;

/// <summary>One side's summary of a tensor: what the seed report printed per layer (RMS, mean), plus range and bad values.</summary>
public sealed record SideStats(double Rms, double Mean, double Min, double Max, long NaN, long Inf);
