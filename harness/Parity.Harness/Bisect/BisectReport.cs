using Parity.Harness.Compare;

namespace Parity.Harness.Bisect;

/// <summary>What <c>parity bisect</c> found.</summary>
public sealed record BisectReport
{
    public required BisectVerdict Verdict { get; init; }

    /// <summary>One line: "local: RoPE on Qcur-0#2 (step 0) — inputs agree (NMSE 1e-15), output NMSE 0.41".</summary>
    public required string Summary { get; init; }

    /// <summary>The first tensor, in graph order across steps, outside its tolerance in the free-running engine.</summary>
    public (StepDiff Step, TensorDiff Tensor)? FirstCumulative { get; init; }

    /// <summary>The first tensor whose op, fed llama.cpp's exact inputs, is already off (local error above the bound).</summary>
    public (StepDiff Step, TensorDiff Tensor)? FirstLocal { get; init; }

    /// <summary>Where inside the first local failure the error sits (by token, head, channel).</summary>
    public string? Pinpoint { get; init; }

    /// <summary>Per layer of the examined step: cumulative vs local error of its output.</summary>
    public required IReadOnlyList<LayerErrors> Layers { get; init; }

    /// <summary>The step the layer table describes (the first failing one, else 0).</summary>
    public required int Step { get; init; }

    public required double LocalBound { get; init; }

    /// <summary>How many residual checkpoints the search compared to find the first failing layer.</summary>
    public int SearchProbes { get; init; }

    public required RunDiff Cumulative { get; init; }

    public required RunDiff Local { get; init; }
}

/// <summary>
/// One layer: its output's error free-running (cumulative) and with its input forced to llama.cpp's (layer-local),
/// the amplification between them, and the worst single op of the layer on forced inputs.
/// </summary>
public sealed record LayerErrors(string Output, double Cumulative, double LayerLocal, double InputCumulative, string WorstOp, double WorstOpLocal)
{
    /// <summary>Cumulative over layer-local: how much the error the layer inherited was amplified.</summary>
    /// <summary>Cumulative over layer-local error; NaN when both are zero (nothing to amplify), infinity when only the local error is.</summary>
    public double Amplification => LayerLocal > 0 ? Cumulative / LayerLocal : Cumulative > 0 ? double.PositiveInfinity : double.NaN;
}

public enum BisectVerdict
{
    /// <summary>No tensor out of tolerance and no op locally off.</summary>
    Clean,

    /// <summary>An op is wrong on its own: fed the reference's inputs, its output is off.</summary>
    Local,

    /// <summary>Tensors are out of tolerance, but every op is exact on the reference's inputs: inherited error grew.</summary>
    Propagated,
}
