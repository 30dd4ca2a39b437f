using Parity.Harness.Suites;

namespace Parity.Harness.Reports;

/// <summary>
/// GitHub Actions workflow commands for the cases that did not pass: <c>::error title=...::message</c>, one line each,
/// naming the suite case and the failing tensor, so the run's summary shows them without opening the log.
/// </summary>
public static class GithubAnnotations
{
    public static IEnumerable<string> Lines(string suite, IReadOnlyList<CaseResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results
            .Where(r => r.Verdict is CaseVerdict.Failed or CaseVerdict.Error)
            .Select(r => $"::error title={Property($"parity check {suite}/{r.Case}")}::{Data($"{r.Case}: {SuiteCaseMessage.Of(r)}")}");
    }

    /// <summary>The escaping GitHub's workflow commands require of a message: %, CR and LF.</summary>
    private static string Data(string s) => s.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    /// <summary>A property value also escapes the separators ':' and ','.</summary>
    private static string Property(string s) => Data(s).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}
