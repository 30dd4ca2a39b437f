using System.Globalization;
using System.Text;
using Parity.Engine.Tokenizer;
using Parity.Harness.Compare;
using Parity.Harness.Runner;
using Spectre.Console;

namespace Parity.Cli.Rendering;

/// <summary>
/// The console report: one row per layer answering a porting author's first questions side by side (the RMS and mean of
/// the layer's output on the residual stream, as the graph descriptor names it; growth since layer 0; the worst tensor
/// and its NMSE; the verdict), the first failing tensor, and the logits of every step (top tokens, ranks, top-5 overlap, KL).
/// </summary>
public static class DiffRenderer
{
    public static void Table(RunDiff diff, IAnsiConsole console, ITokenizer? tokenizer = null, IReadOnlyList<string>? files = null)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(console);
        Func<int, string>? tokenText = tokenizer is null ? null : id => Encoding.UTF8.GetString(tokenizer.TokenToPiece(id, true));
        var inv = CultureInfo.InvariantCulture;
        var a = diff.ManifestA.Producer.Name;
        var b = diff.ManifestB.Producer.Name;
        console.MarkupLine($"[bold]{Markup.Escape(a)}[/] (A) vs [bold]{Markup.Escape(b)}[/] (B) on {Markup.Escape(Path.GetFileName(diff.ManifestB.Model.Path))}: weights {diff.WeightType}, {Markup.Escape(Configuration(diff.ManifestB.Options))}, engine numerics {diff.Numerics}, {diff.Steps.Count} step(s)");
        if (diff.Steps.Count > 0)
        {
            console.MarkupLine(Markup.Escape($"prompt tokens [{string.Join(' ', diff.Steps[0].Tokens)}]"));
        }

        console.MarkupLine(Markup.Escape($"judged by: {diff.Regime}"));
        if (diff.NameMap is { } names)
        {
            console.MarkupLine(Markup.Escape($"A's tensor names aligned by {names}"));
        }
        foreach (var allowed in diff.AllowedDifferences)
        {
            console.MarkupLine($"[yellow]allowed[/]: {Markup.Escape(allowed)}");
        }

        var step0 = diff.Steps.Count > 0 ? diff.Steps[0] : null;
        var layers = diff.Steps.SelectMany(s => s.Tensors).Where(t => t.Layer is not null).Select(t => t.Layer!.Value).Distinct().Order().ToList();
        var layerOutput = diff.Graph.Residual.LayerOutput;
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("layer")
            .AddColumn(new TableColumn($"{layerOutput} RMS A").RightAligned())
            .AddColumn(new TableColumn($"{layerOutput} RMS B").RightAligned())
            .AddColumn(new TableColumn("mean A").RightAligned())
            .AddColumn(new TableColumn("mean B").RightAligned())
            .AddColumn(new TableColumn("growth A/B").RightAligned())
            .AddColumn("worst tensor")
            .AddColumn(new TableColumn("NMSE").RightAligned())
            .AddColumn(new TableColumn("max ulp").RightAligned())
            .AddColumn("verdict");
        double? rms0A = null, rms0B = null;
        foreach (var il in layers)
        {
            var lOut = step0?.Tensors.FirstOrDefault(t => t.Key == diff.Graph.LayerOutputKey(il))?.Metrics;
            rms0A ??= lOut?.A.Rms;
            rms0B ??= lOut?.B.Rms;
            var inLayer = diff.Steps.SelectMany(s => s.Tensors).Where(t => t.Layer == il).ToList();
            var worst = Worst(inLayer);
            table.AddRow(
                il.ToString(inv),
                F(lOut?.A.Rms),
                F(lOut?.B.Rms),
                F(lOut?.A.Mean),
                F(lOut?.B.Mean),
                lOut is null || rms0A is null ? "-" : string.Create(inv, $"{lOut.A.Rms / rms0A:F2}x / {lOut.B.Rms / rms0B:F2}x"),
                Markup.Escape(worst?.Key ?? "-"),
                worst?.Metrics is { } wm ? wm.Nmse.ToString("E1", inv) : "-",
                worst?.Metrics is { } wu ? wu.MaxUlp.ToString(inv) : "-",
                Verdict(inLayer));
        }

        var output = diff.Steps.SelectMany(s => s.Tensors).Where(t => t.Layer is null && t.Metrics is not null).ToList();
        if (output.Count > 0)
        {
            var worst = Worst(output)!;
            table.AddRow("out", "-", "-", "-", "-", "-", Markup.Escape(worst.Key), worst.Metrics!.Nmse.ToString("E1", inv), worst.Metrics.MaxUlp.ToString(inv), Verdict(output));
        }

        console.Write(table);

        var logits = new Table().Border(TableBorder.Rounded).AddColumn("step").AddColumn("pos").AddColumn("A token (rank in B)").AddColumn("B token (rank in A)")
            .AddColumn(new TableColumn("top logit A/B").RightAligned()).AddColumn(new TableColumn("B margin").RightAligned()).AddColumn("top-5").AddColumn(new TableColumn("KL(B||A)").RightAligned());
        foreach (var s in diff.Steps)
        {
            if (s.Logits.Count == 0)
            {
                continue;
            }

            var l = s.Logits[^1];
            logits.AddRow(
                s.Step.ToString(inv),
                l.Position.ToString(inv),
                Markup.Escape($"{l.TopA} {Piece(tokenText, l.TopA)} ({l.RankOfTopAInB})"),
                Markup.Escape($"{l.TopB} {Piece(tokenText, l.TopB)} ({l.RankOfTopBInA})"),
                string.Create(inv, $"{l.TopLogitA:F4} / {l.TopLogitB:F4}"),
                l.MarginB.ToString("F4", inv),
                $"{l.Top5Overlap}/5",
                l.KlDivergence.ToString("E1", inv));
        }

        console.Write(logits);

        if (diff.Steps.Count > 1 && tokenizer is not null)
        {
            var genA = diff.ManifestA.GeneratedTokens;
            var genB = diff.ManifestB.GeneratedTokens;
            console.MarkupLine($"greedy text A: [bold]{Markup.Escape(tokenizer.Detokenize(genA, false, false))}[/]");
            console.MarkupLine($"greedy text B: [bold]{Markup.Escape(tokenizer.Detokenize(genB, false, false))}[/]");
            var parted = Enumerable.Range(0, Math.Min(genA.Count, genB.Count)).FirstOrDefault(i => genA[i] != genB[i], -1);
            console.MarkupLine(parted < 0 ? "the greedy tokens agree at every step" : $"[yellow]the greedy tokens part at step {parted + 1}[/] (decode steps are teacher-forced on B's tokens)");
        }

        var nonFiniteLogits = diff.Steps.SelectMany(s => s.Logits.Select(l => (s.Step, l))).FirstOrDefault(x => x.l.NonFiniteA + x.l.NonFiniteB > 0);
        if (nonFiniteLogits.l is { } nl)
        {
            console.MarkupLine($"[red]the logits are not finite[/] from step {nonFiniteLogits.Step} (A {nl.NonFiniteA}, B {nl.NonFiniteB} non-finite values at position {nl.Position}): no token chosen from them means anything");
        }

        var notCompared = diff.Steps.SelectMany(s => s.Tensors).Count(t => t.Status == TensorStatus.NotCompared);
        var compared = diff.Steps.SelectMany(s => s.Tensors).Count(t => t.Metrics is not null);
        console.MarkupLine($"{compared} tensor pairs compared; {notCompared} not compared (ggml-internal views and copies; see the CSV 'note' column)");
        var first = diff.FirstFailure;
        if (first is { } f)
        {
            var t = f.Tensor;
            console.MarkupLine($"[red]{Markup.Escape(FailureDescription.Describe(diff, f.Step, t))}[/]");
            if (t.Note is not null && t.Status is not (TensorStatus.NonFinite or TensorStatus.ShapeMismatch or TensorStatus.OnlyInA or TensorStatus.OnlyInB))
            {
                console.MarkupLine($"  [yellow]{Markup.Escape(t.Note)}[/]");
            }

            if (t.Rule is not null)
            {
                console.MarkupLine($"  tolerance reason: {Markup.Escape(t.Rule.Reason)}");
            }
        }

        if (diff.Divergence is { } divergence)
        {
            console.MarkupLine($"[red]{Markup.Escape(divergence.Describe())}[/]");
        }

        foreach (var file in files ?? [])
        {
            console.MarkupLine($"report: {Markup.Escape(file)}");
        }

        console.MarkupLine(diff.Passed ? $"[green bold]PARITY HOLDS[/]: {Markup.Escape(Holds(diff))}" : "[red bold]PARITY BROKEN[/]");
    }

    /// <summary>What "holds" meant: bit-identity in the exact regime, the bounds otherwise.</summary>
    public static string Holds(RunDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        return diff.Exact ? $"every compared tensor is bit-identical (regime: {diff.Regime})" : $"every compared tensor is within its tolerance (regime: {diff.Regime})";
    }

    /// <summary>The tensor that decides a row: the first failure, else the one with the largest error.</summary>
    private static TensorDiff? Worst(IReadOnlyList<TensorDiff> tensors) =>
        tensors.FirstOrDefault(t => t.IsFailure) ?? tensors.Where(t => t.Metrics is not null).MaxBy(t => (t.Metrics!.Nmse, t.Metrics.MaxUlp));

    private static string Verdict(IReadOnlyList<TensorDiff> tensors) =>
        tensors.FirstOrDefault(t => t.IsFailure) is { } f
            ? f.Status switch { TensorStatus.Differs => "[red]DIFFERS[/]", TensorStatus.NonFinite => "[red]NaN/Inf[/]", _ => "[red]FAIL[/]" }
            : tensors.All(t => t.Metrics is null || t.Metrics.Identical) ? "[green]identical[/]" : "[green]ok[/]";

    public static void Markdown(RunDiff diff, TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(w);
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine($"| step | tensor | op | status | differing | max ulp | NMSE | cosine | max abs | rule | note |");
        w.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var s in diff.Steps)
        {
            foreach (var t in s.Tensors.Where(t => t.Status != TensorStatus.NotCompared))
            {
                w.WriteLine(string.Create(inv, $"| {s.Step} | `{t.Key}` | {t.Op} | {t.Status} | {t.Metrics?.DifferingValues} | {t.Metrics?.MaxUlp} | {t.Metrics?.Nmse:E2} | {t.Metrics?.Cosine:F6} | {t.Metrics?.MaxAbsError:E2} | {t.Rule?.Bound} | {t.Note} |"));
            }
        }

        w.WriteLine();
        w.WriteLine($"judged by: {diff.Regime}");
        w.WriteLine();
        w.WriteLine(diff.Passed ? $"**PARITY HOLDS**: {Holds(diff)}" : $"**PARITY BROKEN**: {FailureDescription.FirstFailure(diff)}");
    }

    private static string F(double? v) => v is null ? "-" : v.Value.ToString("F6", CultureInfo.InvariantCulture);

    private static string Piece(Func<int, string>? text, int token) => text is null ? string.Empty : "'" + text(token).Replace("\n", "\\n", StringComparison.Ordinal) + "'";

    /// <summary>The KV cache types: one name when K and V share it, else K/V.</summary>
    /// <summary>The attention and weight configuration as run (flash attention resolved), and whether it is llama.cpp's default one.</summary>
    private static string Configuration(Parity.Dump.DumpOptions o) =>
        $"KV cache {CacheTypes(o)}, flash attention {(o.FlashAttention ? "on" : "off")}, repack {(o.Repack ? "on" : "off")}"
        + (LlamaCppDecodeOptions.IsLlamaCppDefault(o.FlashAttention, o.Repack, o.TypeK, o.TypeV) ? " (llama.cpp's defaults)" : " (not llama.cpp's defaults: flash attention auto, repack on, KV cache f16)");

    private static string CacheTypes(Parity.Dump.DumpOptions o) => o.TypeK == o.TypeV ? o.TypeK : $"{o.TypeK}/{o.TypeV}";
}
