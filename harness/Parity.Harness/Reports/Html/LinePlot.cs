using System.Text.RegularExpressions;
using ScottPlot;

namespace Parity.Harness.Reports.Html;

/// <summary>One series of a per-layer line plot: layer indexes and values.</summary>
public sealed record PlotSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Dashed = false);

/// <summary>
/// Per-layer line plots through ScottPlot, as inline SVG: axes, ticks and legends are the library's. Log-scale plots
/// draw log10 of the values with ScottPlot's log tick recipe; exact zeros (bit-identity) sit on a floor the caption names.
/// </summary>
public static partial class LinePlot
{
    /// <summary>Where a zero error is drawn on a log axis: below anything a float computation leaves.</summary>
    public const double LogFloor = 1e-20;

    private const int Width = 560;

    private const int Height = 340;

    private static readonly Color[] Colours = [Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728")];

    public static string Render(string id, string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series, bool logScale)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        for (var i = 0; i < series.Count; i++)
        {
            AddSeries(plot, series[i], Colours[i % Colours.Length], logScale);
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (logScale)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                IntegerTicksOnly = true,
                LabelFormatter = y => $"1e{y:0}",
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            };
        }

        plot.ShowLegend(Edge.Bottom);
        return Namespaced(plot.GetSvgXml(Width, Height), id);
    }

    private static void AddSeries(Plot plot, PlotSeries series, Color colour, bool logScale)
    {
        var xs = series.X.ToArray();
        var ys = series.Y.Select(v => logScale ? Math.Log10(OnLogAxis(v)) : v).ToArray();
        var scatter = plot.Add.Scatter(xs, ys, colour);
        scatter.LegendText = series.Label;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 7;
        if (series.Dashed)
        {
            scatter.LinePattern = LinePattern.Dashed;
            scatter.MarkerShape = MarkerShape.OpenCircle;
            scatter.MarkerSize = 10;
        }
    }

    /// <summary>Zero at the floor; a non-finite error at the top of any float error, so it cannot be missed.</summary>
    private static double OnLogAxis(double v) => double.IsNaN(v) || double.IsInfinity(v) ? 1e3 : Math.Max(v, LogFloor);

    /// <summary>
    /// ScottPlot numbers its SVG ids from 0 in every plot; inline in one page they would collide (a clip path of one plot
    /// clipping another), so each plot's ids get the figure's id as prefix. The XML declaration goes: it is not HTML.
    /// </summary>
    private static string Namespaced(string svg, string prefix)
    {
        svg = XmlDeclaration().Replace(svg, string.Empty);
        svg = IdAttribute().Replace(svg, m => $"id=\"{prefix}-{m.Groups[1].Value}\"");
        svg = UrlReference().Replace(svg, m => $"url(#{prefix}-{m.Groups[1].Value})");
        return HrefReference().Replace(svg, m => $"href=\"#{prefix}-{m.Groups[1].Value}\"");
    }

    [GeneratedRegex(@"<\?xml[^>]*\?>\s*")]
    private static partial Regex XmlDeclaration();

    [GeneratedRegex("id=\"([^\"]+)\"")]
    private static partial Regex IdAttribute();

    [GeneratedRegex(@"url\(#([^)]+)\)")]
    private static partial Regex UrlReference();

    [GeneratedRegex("href=\"#([^\"]+)\"")]
    private static partial Regex HrefReference();
}
