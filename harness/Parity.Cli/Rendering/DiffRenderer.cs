using System.Globalization;
using System.Text;
using Parity.Engine.Tokenizer;
using Parity.Harness.Compare;
using Spectre.Console;

namespace Parity.Cli.Rendering;

/// <summary>
/// The console report: one row per layer with the seed report's questions answered side by side (residual RMS and
/// mean, growth since layer 0, the worst tensor and its NMSE, the verdict), the first failing tensor, and the logits
/// of every step as in the seed's first table.
/// </summary>
public static class DiffRenderer
{
    public static void Table(RunDiff diff, IAnsiConsole console, SpmTokenizer? tokenizer = null, IReadOnlyList<string>? files = null)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(console);
        Func<int, string>? tokenText = tokenizer is null ? null : id => Encoding.UTF8.GetString(tokenizer.TokenToPiece(id, true));
        var inv = CultureInfo.InvariantCulture;
        var a = diff.ManifestA.Producer.Name;
        var b = diff.ManifestB.Producer.Name;
        console.MarkupLine($"[bold]{Markup.Escape(a)}[/] (A) vs [bold]{Markup.Escape(b)}[/] (B) on {Markup.Escape(Path.GetFileName(diff.ManifestB.Model.Path))}: weights {diff.WeightType}, KV cache {diff.KvCache}, engine numerics {diff.Numerics}, {diff.Steps.Count} step(s)");
        if (diff.Steps.Count > 0)
        {
            console.MarkupLine(Markup.Escape($"prompt tokens [{string.Join(' ', diff.Steps[0].Tokens)}]"));
        }

        var step0 = diff.Steps.Count > 0 ? diff.Steps[0] : null;
        var layers = diff.Steps.SelectMany(s => s.Tensors).Where(t => t.Layer is not null).Select(t => t.Layer!.Value).Distinct().Order().ToList();
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("layer")
            .AddColumn(new TableColumn($"l_out RMS A").RightAligned())
            .AddColumn(new TableColumn($"l_out RMS B").RightAligned())
            .AddColumn(new TableColumn("mean A").RightAligned())
            .AddColumn(new TableColumn("mean B").RightAligned())
            .AddColumn(new TableColumn("growth A/B").RightAligned())
            .AddColumn("worst tensor")
            .AddColumn(new TableColumn("NMSE").RightAligned())
            .AddColumn("verdict");
        double? rms0A = null, rms0B = null;
        foreach (var il in layers)
        {
            var lOut = step0?.Tensors.FirstOrDefault(t => t.Name == $"l_out-{il}")?.Metrics;
            rms0A ??= lOut?.A.Rms;
            rms0B ??= lOut?.B.Rms;
            var inLayer = diff.Steps.SelectMany(s => s.Tensors).Where(t => t.Layer == il).ToList();
            var worst = inLayer.Where(t => t.Metrics is not null).MaxBy(t => t.Metrics!.Nmse);
            var failed = inLayer.Any(t => t.Status is TensorStatus.Failed or TensorStatus.ShapeMismatch or TensorStatus.OnlyInA or TensorStatus.OnlyInB);
            table.AddRow(
                il.ToString(inv),
                F(lOut?.A.Rms),
                F(lOut?.B.Rms),
                F(lOut?.A.Mean),
                F(lOut?.B.Mean),
                lOut is null || rms0A is null ? "-" : string.Create(inv, $"{lOut.A.Rms / rms0A:F2}x / {lOut.B.Rms / rms0B:F2}x"),
                Markup.Escape(worst?.Key ?? "-"),
                worst?.Metrics is { } wm ? wm.Nmse.ToString("E1", inv) : "-",
                failed ? "[red]FAIL[/]" : "[green]ok[/]");
        }

        var output = diff.Steps.SelectMany(s => s.Tensors).Where(t => t.Layer is null && t.Metrics is not null).ToList();
        if (output.Count > 0)
        {
            var worst = output.MaxBy(t => t.Metrics!.Nmse)!;
            var failed = output.Any(t => t.Status == TensorStatus.Failed);
            table.AddRow("out", "-", "-", "-", "-", "-", Markup.Escape(worst.Key), worst.Metrics!.Nmse.ToString("E1", inv), failed ? "[red]FAIL[/]" : "[green]ok[/]");
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

        var notCompared = diff.Steps.SelectMany(s => s.Tensors).Count(t => t.Status == TensorStatus.NotCompared);
        var compared = diff.Steps.SelectMany(s => s.Tensors).Count(t => t.Metrics is not null);
        console.MarkupLine($"{compared} tensor pairs compared; {notCompared} not compared (ggml-internal views and copies; see the CSV 'note' column)");
        var first = diff.FirstFailure;
        if (first is { } f)
        {
            var t = f.Tensor;
            var where = t.Metrics is { } m && t.DimensionLabels is { } labels ? $", max abs error {m.MaxAbsError:E2} at {DimensionLabels.Describe(labels, m.MaxAbsErrorAt)}" : string.Empty;
            var value = t.Metrics is { } mm && t.Rule is { } r ? string.Create(inv, $"{r.Statistic} {r.Value(mm):E2} outside {r.Bound}") : t.Status.ToString();
            console.MarkupLine($"[red]first failure[/]: step {f.Step.Step}, [bold]{Markup.Escape(t.Key)}[/] ({Markup.Escape(t.Op)}): {Markup.Escape(value)}{Markup.Escape(where)}");
            if (t.Note is not null)
            {
                console.MarkupLine($"  [yellow]{Markup.Escape(t.Note)}[/]");
            }

            if (t.Rule is not null)
            {
                console.MarkupLine($"  tolerance reason: {Markup.Escape(t.Rule.Reason)}");
            }
        }

        foreach (var file in files ?? [])
        {
            console.MarkupLine($"report: {Markup.Escape(file)}");
        }

        console.MarkupLine(diff.Passed ? "[green bold]PARITY HOLDS[/]: every compared tensor is within its tolerance" : "[red bold]PARITY BROKEN[/]");
    }

    public static void Markdown(RunDiff diff, TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(w);
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine($"| step | tensor | op | status | NMSE | cosine | max abs | tolerance | note |");
        w.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var s in diff.Steps)
        {
            foreach (var t in s.Tensors.Where(t => t.Status != TensorStatus.NotCompared))
            {
                w.WriteLine(string.Create(inv, $"| {s.Step} | `{t.Key}` | {t.Op} | {t.Status} | {t.Metrics?.Nmse:E2} | {t.Metrics?.Cosine:F6} | {t.Metrics?.MaxAbsError:E2} | {t.Rule?.Bound} | {t.Note} |"));
            }
        }

        w.WriteLine();
        w.WriteLine(diff.Passed ? "**PARITY HOLDS**" : "**PARITY BROKEN**");
    }

    private static string F(double? v) => v is null ? "-" : v.Value.ToString("F6", CultureInfo.InvariantCulture);

    private static string Piece(Func<int, string>? text, int token) => text is null ? string.Empty : "'" + text(token).Replace("\n", "\\n", StringComparison.Ordinal) + "'";
}
