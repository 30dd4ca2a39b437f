namespace Parity.Harness.Compare;

/// <summary>What happened to one tensor in a diff.</summary>
public enum TensorStatus
{
    Passed,
    Failed,
    ShapeMismatch,
    OnlyInA,
    OnlyInB,
    NotCompared,
}
