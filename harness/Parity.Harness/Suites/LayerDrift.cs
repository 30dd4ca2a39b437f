namespace Parity.Harness.Suites;

/// <summary>One layer's row of a drift report (layer null: the tensors outside the layer loop): how many tensors moved, and the first.</summary>
public sealed record LayerDrift(int? Layer, int Compared, int Moved, DriftEntry? FirstMoved, double MaxAbsError);
