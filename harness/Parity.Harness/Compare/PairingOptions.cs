namespace Parity.Harness.Compare;

/// <summary>Differences between two dumps that a caller accepts on purpose (each is printed in the report).</summary>
/// <param name="AllowDifferentModel">Compare dumps of different model bytes (across conversions, or goldens across llama.cpp versions).</param>
/// <param name="AllowInexact">Judge a candidate that claims exactness for another build by the tolerance rules.</param>
/// <param name="AllowDifferentConfig">Compare runs of different attention configurations (what a quantized cache costs).</param>
public sealed record PairingOptions(bool AllowDifferentModel = false, bool AllowInexact = false, bool AllowDifferentConfig = false)
{
    public static PairingOptions Strict { get; } = new();
}
