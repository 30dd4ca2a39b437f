namespace Parity.Harness.Compare;

/// <summary>A token id and its logit, one entry of a side's top-k list.</summary>
public sealed record RankedToken(int Id, float Logit);
