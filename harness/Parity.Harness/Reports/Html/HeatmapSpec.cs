namespace Parity.Harness.Reports.Html;

/// <summary>What <see cref="SvgHeatmap"/> draws: a grid of non-negative values on a log colour scale, with marks.</summary>
public sealed record HeatmapSpec
{
    /// <summary>The figure's id in the page (also the prefix of the SVG's own ids).</summary>
    public required string Id { get; init; }

    public required string RowAxis { get; init; }

    public required string ColumnAxis { get; init; }

    public required IReadOnlyList<string> RowNames { get; init; }

    public required IReadOnlyList<string> ColumnNames { get; init; }

    /// <summary>[row, column]. NaN: no cell (nothing compared there); 0: exact; +∞: not finite.</summary>
    public required double[,] Values { get; init; }

    /// <summary>The log10 of the values at the two ends of the colour scale; smaller non-zero values take the low end.</summary>
    public required double LogLow { get; init; }

    public required double LogHigh { get; init; }

    /// <summary>What the legend calls an exact cell (value 0).</summary>
    public string ZeroMeaning { get; init; } = "0";

    /// <summary>The tooltip of a cell (row, column), or null for none.</summary>
    public Func<int, int, string?>? CellTitle { get; init; }

    /// <summary>Cells outlined as failures.</summary>
    public Func<int, int, bool>? Failing { get; init; }

    /// <summary>Rows outlined as the ones carrying error.</summary>
    public IReadOnlyList<int> MarkedRows { get; init; } = [];

    /// <summary>The cell circled as the pinpoint.</summary>
    public (int Row, int Column)? Pinpoint { get; init; }

    public int CellWidth { get; init; } = 24;

    public int CellHeight { get; init; } = 18;
}
