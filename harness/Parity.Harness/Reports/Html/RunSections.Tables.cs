using System.Text;
using Parity.Engine.Tokenizer;
using Parity.Harness.Compare;

namespace Parity.Harness.Reports.Html;

internal static partial class RunSections
{
    /// <summary>Per step, the position that chose the next token: each side's top five, the margin, the ranks, the KL.</summary>
    public static void Logits(StringBuilder html, HtmlReportInput input)
    {
        var steps = input.Diff.Steps.Where(s => s.Logits.Count > 0).ToList();
        if (steps.Count == 0)
        {
            return;
        }

        html.Append("<section><h2>Logits per step</h2><table class=\"logits\"><thead><tr><th>step</th><th>pos</th><th>top-5 A (logit)</th><th>top-5 B (logit)</th>")
            .Append("<th>B margin</th><th>rank of A's top in B</th><th>rank of B's top in A</th><th>top-5 overlap</th><th>KL(B‖A)</th></tr></thead><tbody>");
        foreach (var s in steps)
        {
            var l = s.Logits[^1];
            var shared = l.TopTokensA.Select(t => t.Id).Intersect(l.TopTokensB.Select(t => t.Id)).ToHashSet();
            html.Append(Html.Invariant($"<tr class=\"{(l.Top1Agrees ? "agree" : "fail")}\"><td class=\"num\">{s.Step}</td><td class=\"num\">{l.Position}</td>"));
            html.Append("<td>").Append(TopTokens(l.TopTokensA, shared, input.Tokenizer)).Append("</td><td>").Append(TopTokens(l.TopTokensB, shared, input.Tokenizer)).Append("</td>");
            html.Append(Html.Invariant($"<td class=\"num\">{l.MarginB:F4}</td><td class=\"num\">{l.RankOfTopAInB}</td><td class=\"num\">{l.RankOfTopBInA}</td><td class=\"num\">{l.Top5Overlap}/5</td><td class=\"num\">{Html.Number(l.KlDivergence)}</td></tr>"));
        }

        html.Append("</tbody></table><p>Bold tokens are in both sides' top five. Decode steps are teacher-forced on B's greedy tokens.</p></section>\n");
    }

    private static string TopTokens(IReadOnlyList<RankedToken> tokens, HashSet<int> shared, ITokenizer? tokenizer)
    {
        var cells = tokens.Select(t =>
        {
            var piece = tokenizer is null ? string.Empty : " '" + Encoding.UTF8.GetString(tokenizer.TokenToPiece(t.Id, true)).Replace("\n", "\\n", StringComparison.Ordinal) + "'";
            var text = Html.Text(Html.Invariant($"{t.Id}{piece} ({t.Logit:F3})"));
            return shared.Contains(t.Id) ? $"<span class=\"tok shared\">{text}</span>" : $"<span class=\"tok\">{text}</span>";
        });
        return string.Join("<br>", cells);
    }

    /// <summary>Every tensor of every step, one row each (the rows of report.csv), sortable by any column.</summary>
    public static void TensorTable(StringBuilder html, RunDiff diff, string prefix)
    {
        string[] numeric = ["step", "layer", "elements", "differing", "max ulp", "NMSE", "cosine", "max abs", "mean abs"];
        string[] headers = ["step", "tensor", "op", "layer", "status", "shape A", "shape B", "elements", "differing", "max ulp", "NMSE", "cosine", "max abs", "max abs at", "mean abs", "rule", "tolerance", "note"];
        html.Append("<section><h2>Every tensor</h2><p>Click a column header to sort.</p><table class=\"sortable tensors\" id=\"").Append(prefix).Append("tensors\"><thead><tr>");
        foreach (var h in headers)
        {
            html.Append(numeric.Contains(h) ? "<th data-type=\"num\">" : "<th>").Append(Html.Text(h)).Append("</th>");
        }

        html.Append("</tr></thead><tbody>\n");
        foreach (var row in DiffReportFiles.Rows(diff))
        {
            TensorRowHtml(html, row);
        }

        html.Append("</tbody></table></section>\n");
    }

    private static void TensorRowHtml(StringBuilder html, TensorRow r)
    {
        var failing = r.Status is not (nameof(TensorStatus.Passed) or nameof(TensorStatus.NotCompared));
        html.Append(failing ? "<tr class=\"fail\">" : "<tr>");
        Cell(html, Html.Number(r.Step), numeric: true);
        Cell(html, r.Key);
        Cell(html, r.Op);
        Cell(html, r.Layer is { } l ? Html.Number(l) : string.Empty, numeric: true);
        Cell(html, r.Status);
        Cell(html, r.NeA);
        Cell(html, r.NeB);
        Cell(html, Html.Number(r.Elements), numeric: true);
        Cell(html, Html.Number(r.DifferingValues), numeric: true);
        Cell(html, Html.Number(r.MaxUlp), numeric: true);
        Cell(html, Html.Number(r.Nmse), numeric: true);
        Cell(html, Html.Number(r.Cosine), numeric: true);
        Cell(html, Html.Number(r.MaxAbsError), numeric: true);
        Cell(html, r.MaxAbsErrorAt);
        Cell(html, Html.Number(r.MeanAbsError), numeric: true);
        Cell(html, r.Rule);
        Cell(html, r.Tolerance);
        Cell(html, r.Note);
        html.Append("</tr>\n");
    }

    private static void Cell(StringBuilder html, string text, bool numeric = false) =>
        html.Append(numeric ? "<td class=\"num\">" : "<td>").Append(Html.Text(text)).Append("</td>");
}
