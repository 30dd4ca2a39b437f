namespace Parity.Harness.Compare;

/// <summary>
/// What a diff knows about the pair it compares, from the two manifests alone: the reference's weight type, K cache
/// type and attention configuration, the candidate's numerics mode, and whether the candidate declares that it reproduces this very reference (its
/// build and library variant, in this configuration) bit for bit. Tolerance rules match on these.
/// </summary>
public sealed record ComparisonContext(string WeightType, string KvCache, string Numerics = "f32", bool CandidateExact = false, bool FlashAttention = false);
