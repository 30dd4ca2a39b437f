using System.Text;
using Parity.Harness.Compare;
using Parity.Harness.Graph;

namespace Parity.Harness.Reports.Html;

internal static partial class RunSections
{
    public static void LayerPlots(StringBuilder html, HtmlReportInput input, string prefix)
    {
        var diff = input.Diff;
        var layers = LayerOutputs(diff, diff.Steps[0]);
        var x = layers.Select(l => (double)l.Layer).ToList();
        html.Append("<section><h2>The residual stream per layer (step 0)</h2><div class=\"plots\">");
        Figure(html, prefix + "rms", LinePlot.Render(prefix + "rms", "RMS growth", "layer", $"RMS of {diff.Graph.Residual.LayerOutput}",
        [
            new PlotSeries($"A: {diff.ManifestA.Producer.Name}", x, [.. layers.Select(l => l.Metrics.A.Rms)]),
            new PlotSeries($"B: {diff.ManifestB.Producer.Name}", x, [.. layers.Select(l => l.Metrics.B.Rms)], Dashed: true),
        ], logScale: false), $"RMS of each layer's output over the step's tokens, both sides (B dashed): growth layer by layer.");
        Figure(html, prefix + "mean", LinePlot.Render(prefix + "mean", "Mean drift", "layer", $"mean of {diff.Graph.Residual.LayerOutput}",
        [
            new PlotSeries($"A: {diff.ManifestA.Producer.Name}", x, [.. layers.Select(l => l.Metrics.A.Mean)]),
            new PlotSeries($"B: {diff.ManifestB.Producer.Name}", x, [.. layers.Select(l => l.Metrics.B.Mean)], Dashed: true),
        ], logScale: false), "Mean of each layer's output, both sides (B dashed).");
        html.Append("</div></section>\n");
    }

    public static void ErrorPlot(StringBuilder html, HtmlReportInput input, string prefix)
    {
        var diff = input.Diff;
        List<PlotSeries> series;
        string caption;
        if (input.Bisect is { } bisect)
        {
            var x = Enumerable.Range(0, bisect.Layers.Count).Select(i => (double)i).ToList();
            series =
            [
                new PlotSeries("free-running (cumulative)", x, [.. bisect.Layers.Select(l => l.Cumulative)]),
                new PlotSeries("layer input forced (layer-local)", x, [.. bisect.Layers.Select(l => l.LayerLocal)], Dashed: true),
                new PlotSeries("worst op on llama.cpp's inputs (op-local)", x, [.. bisect.Layers.Select(l => l.WorstOpLocal)]),
            ];
            caption = $"NMSE of each layer's output at step {bisect.Step}: free-running against teacher-forced. A layer-local error far below the cumulative one means the layer inherits error; ";
        }
        else
        {
            var worst = Enumerable.Range(0, diff.LayerCount).Select(il => diff.Steps.Select(s => Nmse(s, diff.Graph.LayerOutputKey(il))).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max()).ToList();
            series = [new PlotSeries("free-running (cumulative), worst step", [.. Enumerable.Range(0, worst.Count).Select(i => (double)i)], worst)];
            caption = "NMSE of each layer's output, the worst over the steps (teacher-forced local error comes with parity bisect); ";
        }

        html.Append("<section><h2>Error per layer</h2>");
        Figure(html, prefix + "error", LinePlot.Render(prefix + "error", "Error per layer (log scale)", "layer", "NMSE (log10)", series, logScale: true),
            caption + $"an exact zero (bit-identity) is drawn at {LinePlot.LogFloor:G1}, a non-finite error at 1e3.");
        html.Append("</section>\n");
    }

    /// <summary>Rows: layers (and "out" for the tensors outside them); columns: the graph's tensors in order; cells: the worst NMSE over the steps.</summary>
    public static void NmseHeatmap(StringBuilder html, RunDiff diff, string prefix)
    {
        var compared = diff.Steps.SelectMany(s => s.Tensors.Select(t => (Step: s.Step, Tensor: t))).Where(x => x.Tensor.Metrics is not null).ToList();
        var columns = compared.Select(x => Column(x.Tensor)).Distinct().ToList();
        if (columns.Count == 0)
        {
            // Nothing paired (a candidate whose names no map aligns): the tables say what is on each side.
            return;
        }

        var rowNames = Enumerable.Range(0, diff.LayerCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("out").ToList();
        var cells = new (double Nmse, int Step, TensorDiff? Tensor, bool Failing)[rowNames.Count, columns.Count];
        var values = new double[rowNames.Count, columns.Count];
        for (var r = 0; r < rowNames.Count; r++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                (values[r, c], cells[r, c]) = (double.NaN, (double.NaN, 0, null, false));
            }
        }

        foreach (var (step, t) in compared)
        {
            var (r, c) = (t.Layer is { } l && l < diff.LayerCount ? l : rowNames.Count - 1, columns.IndexOf(Column(t)));
            var nmse = double.IsNaN(t.Metrics!.Nmse) ? double.PositiveInfinity : t.Metrics.Nmse;
            var cell = cells[r, c];
            if (cell.Tensor is null || nmse > cell.Nmse || (t.IsFailure && !cell.Failing))
            {
                cells[r, c] = (nmse, step, t, cell.Failing || t.IsFailure);
                values[r, c] = nmse;
            }
        }

        var (low, high) = LogRange(values);
        var spec = new HeatmapSpec
        {
            Id = prefix + "nmse-heatmap",
            RowAxis = "layer",
            ColumnAxis = "tensor",
            RowNames = rowNames,
            ColumnNames = columns,
            Values = values,
            LogLow = low,
            LogHigh = high,
            ZeroMeaning = "bit-identical",
            CellTitle = (r, c) => cells[r, c].Tensor is { } t ? Html.Invariant($"{t.Key} ({t.Op}), step {cells[r, c].Step}: NMSE {Html.Number(t.Metrics!.Nmse)}, {t.Metrics.DifferingValues} differing values, max ulp {t.Metrics.MaxUlp}, {t.Status}") : null,
            Failing = (r, c) => cells[r, c].Failing,
        };
        html.Append("<section><h2>NMSE by layer × op</h2>");
        Figure(html, spec.Id, SvgHeatmap.Render(spec), "The worst NMSE over the steps of every compared tensor (hover a cell for its numbers); failing tensors are outlined in red.");
        html.Append("</section>\n");
    }

    public static void FailureMap(StringBuilder html, HtmlReportInput input, string prefix)
    {
        var map = input.FailureMap ?? ReadFailureMap(input);
        if (map is null)
        {
            return;
        }

        var max = Enumerable.Range(0, map.Rows).SelectMany(r => Enumerable.Range(0, map.Columns).Select(c => map.Values[r, c])).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var high = max > 0 ? Math.Ceiling(Math.Log10(max)) : 0;
        var spec = new HeatmapSpec
        {
            Id = prefix + "failure-map",
            RowAxis = map.RowLabel,
            ColumnAxis = map.ColumnLabel,
            RowNames = map.RowNames,
            ColumnNames = map.ColumnNames,
            Values = map.Values,
            LogLow = high - 6,
            LogHigh = high,
            ZeroMeaning = "identical",
            CellTitle = (r, c) => Html.Invariant($"{map.RowLabel} {map.RowNames[r]}, {map.ColumnLabel} {map.ColumnNames[c]}: max |a-b| {Html.Number(map.Values[r, c])}"),
            MarkedRows = map.MarkedRows,
            Pinpoint = map.Pinpoint,
            CellWidth = Math.Clamp(900 / map.Columns, 4, 40),
            CellHeight = Math.Clamp(360 / map.Rows, 6, 24),
        };
        var marked = map.MarkedRows.Count == 0 ? $"every {map.RowLabel} carries error" : $"{map.RowLabel}s carrying error (dashed): {string.Join(", ", map.MarkedRows.Select(r => map.RowNames[r]))}";
        html.Append("<section><h2>Where the first failing tensor is off: <code>").Append(Html.Text(map.Tensor)).Append("</code>, step ").Append(map.Step).Append("</h2>");
        Figure(html, spec.Id, SvgHeatmap.Render(spec), $"The largest |a − b| per {map.RowLabel} × {map.ColumnLabel} (long dimensions binned, each cell the maximum of its bin); {marked}; the largest error circled.");
        html.Append("</section>\n");
    }

    /// <summary>For bisect, the first op wrong on llama.cpp's inputs, in the op-forced run; otherwise the diff's first failure.</summary>
    private static ErrorMap? ReadFailureMap(HtmlReportInput input)
    {
        if (input.Bisect is { FirstLocal: var (step, tensor) } bisect)
        {
            return ErrorMapBuilder.Read(bisect.Local, step, tensor);
        }

        return input.Diff.FirstFailure is var (s, t) ? ErrorMapBuilder.Read(input.Diff, s, t) : null;
    }

    private static void Figure(StringBuilder html, string id, string svg, string caption)
    {
        html.Append("<figure class=\"plot\" id=\"").Append(Html.Text(id)).Append("\">").Append(svg)
            .Append("<figcaption>").Append(Html.Text(caption)).Append("</figcaption></figure>\n");
    }

    private static List<(int Layer, TensorMetrics Metrics)> LayerOutputs(RunDiff diff, StepDiff step) =>
        Enumerable.Range(0, diff.LayerCount)
            .Select(il => (il, step.Tensors.FirstOrDefault(t => t.Key == diff.Graph.LayerOutputKey(il))?.Metrics))
            .Where(x => x.Item2 is not null)
            .Select(x => (x.il, x.Item2!))
            .ToList();

    private static double Nmse(StepDiff step, string key) => step.Tensors.FirstOrDefault(t => t.Key == key)?.Metrics?.Nmse ?? double.NaN;

    /// <summary>The column of a tensor: its key without the layer number ("Qcur-3#2" → "Qcur#2").</summary>
    private static string Column(TensorDiff t)
    {
        var (name, occurrence) = GraphReference.SplitKey(t.Key);
        var stem = GraphReference.SplitName(name).Stem;
        return occurrence > 0 ? $"{stem}#{occurrence}" : stem;
    }

    /// <summary>The colour scale spans the non-zero finite values (NMSE 1 at most at the top), 20 decades when all are zero.</summary>
    private static (double Low, double High) LogRange(double[,] values)
    {
        var nonZero = values.Cast<double>().Where(v => v > 0 && double.IsFinite(v)).ToList();
        if (nonZero.Count == 0)
        {
            return (-20, 0);
        }

        var low = Math.Floor(Math.Log10(nonZero.Min()));
        var high = Math.Max(Math.Ceiling(Math.Log10(nonZero.Max())), low + 1);
        return (low, high);
    }
}
