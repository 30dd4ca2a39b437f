namespace Parity.Harness.Compare;

/// <summary>What happened to one tensor in a diff.</summary>
public enum TensorStatus
{
    /// <summary>Within its rule: bit-identical under an exact rule, within the bound under a tolerance rule.</summary>
    Passed,

    /// <summary>Outside a tolerance rule's bound.</summary>
    Failed,

    /// <summary>Not bit-identical where the rule asks for identity (the exact regime).</summary>
    Differs,

    /// <summary>A NaN or an infinity on either side: a finding, never agreement, whatever the other side holds.</summary>
    NonFinite,

    ShapeMismatch,

    /// <summary>The same name from another ggml op on each side (the values may even agree).</summary>
    OpMismatch,

    OnlyInA,
    OnlyInB,
    NotCompared,
}
