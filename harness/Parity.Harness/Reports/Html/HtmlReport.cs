using System.Text;
using Parity.Harness.Suites;

namespace Parity.Harness.Reports.Html;

/// <summary>
/// report.html: one self-contained page a person reads, written from the same diff as report.csv and report.json
/// (comparison on data only: the diff and, for the error map, the two dumps it compared). <c>parity check</c> gets a
/// suite page: every case's verdict, and the full sections of each failing case.
/// </summary>
public static class HtmlReport
{
    public static string Render(HtmlReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var body = new StringBuilder();
        body.Append("<h1>").Append(Html.Text(input.Title)).Append(": ").Append(Html.Text(input.Diff.ManifestA.Producer.Name)).Append(" (A) vs ")
            .Append(Html.Text(input.Diff.ManifestB.Producer.Name)).Append(" (B)</h1>\n");
        RunSections.All(body, input, string.Empty);
        return HtmlPage.Render($"{input.Title}: {(input.Diff.Passed ? "parity holds" : "parity broken")}", body.ToString());
    }

    public static void Write(HtmlReportInput input, string path) => DiffReportFiles.WriteText(path, Render(input));

    /// <summary>A suite page: the cases table, then each failing case's sections (passing cases stay one row each, so the page stays small).</summary>
    public static string RenderSuite(string suite, IReadOnlyList<CaseResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var failed = results.Count(r => r.Verdict is CaseVerdict.Failed or CaseVerdict.Error);
        var body = new StringBuilder();
        body.Append("<h1>parity check: suite ").Append(Html.Text(suite)).Append("</h1>\n");
        body.Append(Html.Invariant($"<section id=\"verdict\"><p class=\"verdict {(failed == 0 ? "holds" : "broken")}\">{(failed == 0 ? "PARITY HOLDS" : "PARITY BROKEN")}</p>"));
        body.Append(Html.Invariant($"<p class=\"verdict-line\">{Count(results, CaseVerdict.Passed)} passed, {Count(results, CaseVerdict.Failed)} failed, {Count(results, CaseVerdict.Error)} errors, {Count(results, CaseVerdict.Skipped)} skipped</p></section>\n"));
        CaseTable(body, results);
        foreach (var result in results.Where(r => r.Verdict == CaseVerdict.Failed && r.Diff is not null))
        {
            var prefix = "case-" + result.Case.Replace(' ', '-') + "-";
            body.Append("<section class=\"case\" id=\"").Append(Html.Text(prefix)).Append("section\"><h2>Case ").Append(Html.Text(result.Case)).Append("</h2>");
            RunSections.All(body, new HtmlReportInput { Title = result.Case, Diff = result.Diff!, FailureMap = result.FailureMap }, prefix);
            body.Append("</section>\n");
        }

        return HtmlPage.Render($"parity check {suite}: {(failed == 0 ? "parity holds" : "parity broken")}", body.ToString());
    }

    public static void WriteSuite(string suite, IReadOnlyList<CaseResult> results, string path) => DiffReportFiles.WriteText(path, RenderSuite(suite, results));

    private static int Count(IReadOnlyList<CaseResult> results, CaseVerdict verdict) => results.Count(r => r.Verdict == verdict);

    private static void CaseTable(StringBuilder body, IReadOnlyList<CaseResult> results)
    {
        body.Append("<section><h2>Cases</h2><table class=\"sortable cases\" id=\"cases\"><thead><tr><th>case</th><th>verdict</th><th data-type=\"num\">seconds</th><th>summary</th></tr></thead><tbody>\n");
        foreach (var r in results)
        {
            body.Append(r.Verdict is CaseVerdict.Failed or CaseVerdict.Error ? "<tr class=\"fail\">" : "<tr>")
                .Append("<td>").Append(Html.Text(r.Case)).Append("</td><td>").Append(r.Verdict).Append("</td>")
                .Append(Html.Invariant($"<td class=\"num\">{r.Elapsed.TotalSeconds:F1}</td>"))
                .Append("<td>").Append(Html.Text(r.Summary)).Append("</td></tr>\n");
        }

        body.Append("</tbody></table></section>\n");
    }
}
