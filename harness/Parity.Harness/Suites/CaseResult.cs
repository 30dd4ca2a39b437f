using Parity.Harness.Compare;

namespace Parity.Harness.Suites;

/// <summary>What checking one case found: the verdict, one line for the console, and the details behind it.</summary>
public sealed record CaseResult
{
    public required string Case { get; init; }

    public required CaseVerdict Verdict { get; init; }

    /// <summary>One line: why it failed, was skipped or errored, or the worst tensor when it passed.</summary>
    public required string Summary { get; init; }

    /// <summary>Further lines: every problem found (tokenizer, tolerance, snapshot diff).</summary>
    public IReadOnlyList<string> Details { get; init; } = [];

    public RunDiff? Diff { get; init; }

    /// <summary>Where the first failing tensor is off, taken while the engine's dump still exists (it is removed after the case).</summary>
    public Reports.ErrorMap? FailureMap { get; init; }

    public SnapshotOutcome? Snapshot { get; init; }

    public TimeSpan Elapsed { get; init; }

    public static CaseResult Of(string name, CaseVerdict verdict, string summary) => new() { Case = name, Verdict = verdict, Summary = summary };
}
