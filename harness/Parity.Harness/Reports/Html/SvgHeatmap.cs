using System.Globalization;
using System.Text;

namespace Parity.Harness.Reports.Html;

/// <summary>
/// A heatmap as plain SVG rectangles. Written directly rather than through ScottPlot: each cell keeps its own tooltip
/// (the tensor and its numbers), failing cells, marked rows and the pinpoint are elements a reader (and a test) can
/// find by class, and a grid of at most 64 × 128 cells is smaller as rectangles than as a plot frame.
/// </summary>
public static class SvgHeatmap
{
    private const int ScaleWidth = 160;

    public static string Render(HeatmapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var left = 12 + (7 * spec.RowNames.Max(n => n.Length));
        var top = 16 + (6 * Math.Min(24, spec.ColumnNames.Max(n => n.Length)));
        var width = left + (spec.ColumnNames.Count * spec.CellWidth) + 20;
        var height = top + (spec.RowNames.Count * spec.CellHeight) + 52;
        var svg = new StringBuilder();
        svg.Append(Html.Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"{Math.Max(width, left + ScaleWidth + 200)}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">"));
        Labels(svg, spec, left, top);
        Cells(svg, spec, left, top);
        Marks(svg, spec, left, top);
        Scale(svg, spec, left, top + (spec.RowNames.Count * spec.CellHeight) + 14);
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Labels(StringBuilder svg, HeatmapSpec spec, int left, int top)
    {
        var rowStep = Math.Max(1, (int)Math.Ceiling(12.0 / spec.CellHeight));
        for (var r = 0; r < spec.RowNames.Count; r += rowStep)
        {
            svg.Append(Html.Invariant($"<text class=\"row-name\" x=\"{left - 4}\" y=\"{top + (r * spec.CellHeight) + (spec.CellHeight / 2) + 4}\" text-anchor=\"end\">{Html.Text(spec.RowNames[r])}</text>"));
        }

        var columnStep = Math.Max(1, (int)Math.Ceiling(12.0 / spec.CellWidth));
        for (var c = 0; c < spec.ColumnNames.Count; c += columnStep)
        {
            var x = left + (c * spec.CellWidth) + (spec.CellWidth / 2);
            svg.Append(Html.Invariant($"<text class=\"column-name\" transform=\"translate({x + 4},{top - 4}) rotate(-60)\">{Html.Text(spec.ColumnNames[c])}</text>"));
        }

        svg.Append(Html.Invariant($"<text x=\"2\" y=\"12\" font-weight=\"bold\">{Html.Text(spec.RowAxis)} ↓ · {Html.Text(spec.ColumnAxis)} →</text>"));
    }

    private static void Cells(StringBuilder svg, HeatmapSpec spec, int left, int top)
    {
        for (var r = 0; r < spec.RowNames.Count; r++)
        {
            for (var c = 0; c < spec.ColumnNames.Count; c++)
            {
                var v = spec.Values[r, c];
                if (double.IsNaN(v))
                {
                    continue;
                }

                var failing = spec.Failing?.Invoke(r, c) == true;
                var stroke = failing ? " stroke=\"#d00\" stroke-width=\"2\"" : string.Empty;
                svg.Append(Html.Invariant($"<rect class=\"cell{(failing ? " failing" : string.Empty)}\" x=\"{left + (c * spec.CellWidth)}\" y=\"{top + (r * spec.CellHeight)}\" width=\"{spec.CellWidth}\" height=\"{spec.CellHeight}\" fill=\"{Colour(v, spec)}\"{stroke}>"));
                if (spec.CellTitle?.Invoke(r, c) is { } title)
                {
                    svg.Append("<title>").Append(Html.Text(title)).Append("</title>");
                }

                svg.Append("</rect>");
            }
        }
    }

    private static void Marks(StringBuilder svg, HeatmapSpec spec, int left, int top)
    {
        var width = spec.ColumnNames.Count * spec.CellWidth;
        foreach (var r in spec.MarkedRows)
        {
            svg.Append(Html.Invariant($"<rect class=\"marked-row\" data-row=\"{Html.Text(spec.RowNames[r])}\" x=\"{left - 1}\" y=\"{top + (r * spec.CellHeight)}\" width=\"{width + 2}\" height=\"{spec.CellHeight}\" fill=\"none\" stroke=\"#e377c2\" stroke-width=\"2\" stroke-dasharray=\"4 2\"><title>{Html.Text(spec.RowAxis)} {Html.Text(spec.RowNames[r])} carries error</title></rect>"));
            svg.Append(Html.Invariant($"<text class=\"marked-row-label\" x=\"{left + width + 4}\" y=\"{top + (r * spec.CellHeight) + (spec.CellHeight / 2) + 4}\" fill=\"#c0399a\">◀</text>"));
        }

        if (spec.Pinpoint is var (row, column))
        {
            var cx = left + (column * spec.CellWidth) + (spec.CellWidth / 2.0);
            var cy = top + (row * spec.CellHeight) + (spec.CellHeight / 2.0);
            var radius = Math.Max(6, Math.Min(spec.CellWidth, spec.CellHeight));
            svg.Append(Html.Invariant($"<circle class=\"pinpoint\" cx=\"{cx:0.#}\" cy=\"{cy:0.#}\" r=\"{radius}\" fill=\"none\" stroke=\"#d00\" stroke-width=\"2\"><title>largest error: {Html.Text(spec.RowAxis)} {Html.Text(spec.RowNames[row])}, {Html.Text(spec.ColumnAxis)} {Html.Text(spec.ColumnNames[column])}</title></circle>"));
        }
    }

    private static void Scale(StringBuilder svg, HeatmapSpec spec, int left, int y)
    {
        var id = spec.Id + "-scale";
        svg.Append(Html.Invariant($"<defs><linearGradient id=\"{id}\">"));
        for (var i = 0; i < Palette.Length; i++)
        {
            svg.Append(Html.Invariant($"<stop offset=\"{i * 100 / (Palette.Length - 1)}%\" stop-color=\"{Palette[i]}\"/>"));
        }

        svg.Append("</linearGradient></defs>");
        svg.Append(Html.Invariant($"<rect x=\"{left}\" y=\"{y}\" width=\"14\" height=\"12\" fill=\"{Exact}\" stroke=\"#999\"/><text x=\"{left + 18}\" y=\"{y + 10}\">{Html.Text(spec.ZeroMeaning)}</text>"));
        var bar = left + 110;
        svg.Append(Html.Invariant($"<text x=\"{bar - 4}\" y=\"{y + 10}\" text-anchor=\"end\">1e{spec.LogLow:0}</text><rect x=\"{bar}\" y=\"{y}\" width=\"{ScaleWidth}\" height=\"12\" fill=\"url(#{id})\"/><text x=\"{bar + ScaleWidth + 4}\" y=\"{y + 10}\">1e{spec.LogHigh:0}</text>"));
        svg.Append(Html.Invariant($"<rect x=\"{bar + ScaleWidth + 50}\" y=\"{y}\" width=\"14\" height=\"12\" fill=\"{NonFinite}\"/><text x=\"{bar + ScaleWidth + 68}\" y=\"{y + 10}\">not finite</text>"));
    }

    /// <summary>Viridis at five stops: ordered in lightness, readable in grey and by the colour-blind.</summary>
    private static readonly string[] Palette = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];

    private const string Exact = "#eeeeee";

    private const string NonFinite = "#ff00ff";

    public static string Colour(double value, HeatmapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (value == 0)
        {
            return Exact;
        }

        if (!double.IsFinite(value))
        {
            return NonFinite;
        }

        var t = Math.Clamp((Math.Log10(value) - spec.LogLow) / Math.Max(1e-9, spec.LogHigh - spec.LogLow), 0, 1) * (Palette.Length - 1);
        var i = Math.Min((int)t, Palette.Length - 2);
        return Mix(Palette[i], Palette[i + 1], t - i);
    }

    private static string Mix(string from, string to, double t)
    {
        int Channel(string hex, int at) => int.Parse(hex.AsSpan(1 + (2 * at), 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var rgb = Enumerable.Range(0, 3).Select(k => (int)Math.Round(Channel(from, k) + ((Channel(to, k) - Channel(from, k)) * t)));
        return "#" + string.Concat(rgb.Select(v => v.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
