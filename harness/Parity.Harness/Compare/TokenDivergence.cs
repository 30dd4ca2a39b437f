namespace Parity.Harness.Compare;

/// <summary>
/// Where two free-running dumps stop running the same tokens: decode step <see cref="Step"/> fed A and B different
/// tokens (each side's greedy choice at the step before). The steps before it were compared; this one and those after
/// it cannot be, since they compute on different inputs.
/// </summary>
public sealed record TokenDivergence(int Step, IReadOnlyList<int> TokensA, IReadOnlyList<int> TokensB, int StepsNotCompared)
{
    /// <summary>The verdict's line: where the tokens part, what was skipped, and how to compare every step anyway.</summary>
    public string Describe() =>
        $"the greedy tokens part at step {Step}: A ran [{string.Join(' ', TokensA)}], B ran [{string.Join(' ', TokensB)}] (each side's choice at step {Step - 1}); " +
        $"steps {Step} and after ({StepsNotCompared} step(s)) ran different tokens and are not compared. To compare every step, dump the candidate again " +
        "teacher-forced on B's tokens (its decode steps fed B's generated tokens, not its own); `parity run` and `parity bisect` do this for Parity's engine";
}
