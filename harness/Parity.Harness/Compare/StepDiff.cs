namespace Parity.Harness.Compare;

/// <summary>The diff of one step (the prompt, or one decode step): every tensor in graph order, and the logits.</summary>
public sealed record StepDiff
{
    public required int Step { get; init; }

    public required IReadOnlyList<int> Tokens { get; init; }

    public required IReadOnlyList<int> Positions { get; init; }

    public required IReadOnlyList<TensorDiff> Tensors { get; init; }

    /// <summary>The logits of each position of the step (from <c>result_output</c>), if both sides have it.</summary>
    public IReadOnlyList<LogitsComparison> Logits { get; init; } = [];

    public bool Passed => !Tensors.Any(t => t.IsFailure);

    public TensorDiff? FirstFailure => Tensors.FirstOrDefault(t => t.IsFailure);
}
