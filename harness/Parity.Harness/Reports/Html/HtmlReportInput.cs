using Parity.Engine.Tokenizer;
using Parity.Harness.Bisect;
using Parity.Harness.Compare;

namespace Parity.Harness.Reports.Html;

/// <summary>What one report page describes: a diff (the same one report.csv and report.json are written from), and for
/// <c>parity bisect</c> its teacher-forced findings.</summary>
public sealed record HtmlReportInput
{
    /// <summary>The verb and what it was run on, for the page's title: "parity run".</summary>
    public required string Title { get; init; }

    /// <summary>The free-running diff (for bisect, <see cref="BisectReport.Cumulative"/>).</summary>
    public required RunDiff Diff { get; init; }

    public BisectReport? Bisect { get; init; }

    /// <summary>The first failing tensor's error map when the dumps will be gone by the time the page is written; else it is read from them.</summary>
    public ErrorMap? FailureMap { get; init; }

    /// <summary>The model's tokenizer, to show token text beside ids; null shows ids only.</summary>
    public ITokenizer? Tokenizer { get; init; }

    /// <summary>The command's options as given, shown under provenance.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Options { get; init; } = [];
}
