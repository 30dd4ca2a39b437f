using System.Text;
using Parity.Harness.Bisect;
using Parity.Harness.Compare;

namespace Parity.Harness.Reports.Html;

/// <summary>
/// The sections of a report page for one diff: verdict, provenance, per-layer plots, heatmaps, logits, tensor table.
/// Every element id starts with <c>prefix</c>, so a suite page can hold the sections of several cases.
/// </summary>
internal static partial class RunSections
{
    public static void All(StringBuilder html, HtmlReportInput input, string prefix)
    {
        Verdict(html, input, prefix);
        Provenance(html, input, prefix);
        LayerPlots(html, input, prefix);
        ErrorPlot(html, input, prefix);
        NmseHeatmap(html, input.Diff, prefix);
        FailureMap(html, input, prefix);
        Logits(html, input);
        TensorTable(html, input.Diff, prefix);
    }

    public static void Verdict(StringBuilder html, HtmlReportInput input, string prefix)
    {
        var diff = input.Diff;
        var holds = diff.Passed && input.Bisect is not { Verdict: not BisectVerdict.Clean };
        html.Append(Html.Invariant($"<section id=\"{prefix}verdict\"><p class=\"verdict {(holds ? "holds" : "broken")}\">{(holds ? "PARITY HOLDS" : "PARITY BROKEN")}</p>"));
        html.Append("<p class=\"verdict-line\">").Append(Html.Text(VerdictLine(diff))).Append("</p>");
        html.Append("<p>judged by: ").Append(Html.Text(diff.Regime)).Append("</p>");
        if (diff.FirstFailure is { } first)
        {
            html.Append("<p class=\"first-failure\">first failure: step ").Append(first.Step.Step).Append(", <code>").Append(Html.Text(first.Tensor.Key)).Append("</code> (")
                .Append(Html.Text(first.Tensor.Op)).Append(", ").Append(first.Tensor.Status).Append(')');
            if (first.Tensor.Rule is { } rule)
            {
                html.Append(" — tolerance ").Append(Html.Text(rule.Bound)).Append(": ").Append(Html.Text(rule.Reason));
            }

            html.Append("</p>");
        }

        if (diff.FirstFailure is not null && diff.Divergence is { } divergence)
        {
            html.Append("<p class=\"divergence\">").Append(Html.Text(divergence.Describe())).Append("</p>");
        }

        if (input.Bisect is { } bisect)
        {
            html.Append("<p class=\"bisect-summary\"><b>bisect</b>: ").Append(Html.Text(bisect.Summary)).Append("</p>");
            if (bisect.Pinpoint is { } pin)
            {
                html.Append("<p class=\"pinpoint\"><b>where</b>: ").Append(Html.Text(pin)).Append("</p>");
            }
        }

        html.Append("</section>\n");
    }

    private static string VerdictLine(RunDiff diff) =>
        diff.FirstFailure is { } f ? FailureDescription.Describe(diff, f.Step, f.Tensor)
        : diff.Divergence is { } d ? d.Describe()
        : diff.Exact ? $"every compared tensor is bit-identical (regime: {diff.Regime})"
        : $"every compared tensor is within its tolerance (regime: {diff.Regime})";

    public static void Provenance(StringBuilder html, HtmlReportInput input, string prefix)
    {
        var diff = input.Diff;
        var a = diff.ManifestA;
        var b = diff.ManifestB;
        var rows = new List<(string, string)>
        {
            ("candidate (A)", $"{a.Producer.Name} {a.Producer.Version}{Variant(a.Producer)} — {diff.DirectoryA}"),
            ("reference (B)", $"{b.Producer.Name} {b.Producer.Version}{(b.Producer.GgmlVersion is { } g ? $", ggml {g}" : string.Empty)}{Variant(b.Producer)} — {diff.DirectoryB}"),
            ("model", $"{b.Model.Path} ({b.Model.Bytes:N0} bytes, {b.Model.Architecture}, file type {b.Model.FileType ?? "-"})"),
            ("model sha256", b.Model.Sha256),
            ("hyperparameters", Hyperparameters(b)),
            ("weight types", string.Join(", ", b.Model.WeightTypes.Select(kv => $"{kv.Key} × {kv.Value}"))),
            ("options (B)", Options(b.Options)),
            ("engine numerics", $"{diff.Numerics}; weights {diff.WeightType}; KV cache {diff.KvCache}; candidate claims exactness: {(diff.CandidateExact ? "yes" : "no")}"),
            ("regime", diff.Regime),
            ("prompt tokens", string.Join(' ', b.Prompt.Tokens)),
            ("greedy tokens A / B", $"{string.Join(' ', a.GeneratedTokens)} / {string.Join(' ', b.GeneratedTokens)}"),
        };
        rows.AddRange(diff.AllowedDifferences.Select(d => ("allowed difference", d)));
        rows.AddRange(input.Options.Select(o => ($"option {o.Key}", o.Value)));
        html.Append("<section id=\"").Append(prefix).Append("provenance\"><h2>Provenance</h2><dl class=\"kv\">");
        foreach (var (key, value) in rows)
        {
            html.Append("<dt>").Append(Html.Text(key)).Append("</dt><dd>").Append(Html.Text(value)).Append("</dd>");
        }

        html.Append("</dl></section>\n");
    }

    private static string Variant(Parity.Dump.DumpProducer p) => p.LibraryVariant is { } v ? $", {v} library" : string.Empty;

    private static string Hyperparameters(Parity.Dump.RunManifest m) => m.Model.Hyperparameters is { } h
        ? Html.Invariant($"n_layer {h.NLayer}, n_embd {h.NEmbd}, n_head {h.NHead}, n_head_kv {h.NHeadKv}, n_ff {h.NFf}, n_vocab {h.NVocab}, n_ctx_train {h.NCtxTrain}, rope freq base {h.RopeFreqBase}, rope dims {h.RopeDimensionCount}, rms eps {h.RmsEps}")
        : "-";

    private static string Options(Parity.Dump.DumpOptions o) =>
        Html.Invariant($"threads {o.Threads}, flash attention {(o.FlashAttention ? "on" : "off")}, KV cache K {o.TypeK} / V {o.TypeV}, repack {(o.Repack ? "on" : "off")}, n_ctx {o.NCtx}, n_batch {o.NBatch}{(o.Filter is { } f ? $", filter {f}" : string.Empty)}");
}
