namespace Parity.Harness.Reports;

/// <summary>
/// Where the error of one tensor sits, as a grid of the largest |a − b| per cell: token × channel for activations,
/// head × token position for attention. Long dimensions are binned (each cell the maximum of its bin) so the grid
/// stays small enough to draw. Rows that carry error while others are exact are marked (a GQA mapping shows as
/// marked heads), and the cell holding the largest error is the pinpoint.
/// </summary>
public sealed record ErrorMap
{
    /// <summary>At most this many rows and columns are drawn; longer dimensions are binned.</summary>
    public const int MaxRows = 64;

    public const int MaxColumns = 128;

    public required string Tensor { get; init; }

    public required int Step { get; init; }

    /// <summary>What a row is ("token", "head") and what a column is ("channel", "token", "kv", "vocab").</summary>
    public required string RowLabel { get; init; }

    public required string ColumnLabel { get; init; }

    /// <summary>A name per row bin ("position 3", "8..15").</summary>
    public required IReadOnlyList<string> RowNames { get; init; }

    public required IReadOnlyList<string> ColumnNames { get; init; }

    /// <summary>[row, column]: the largest |a − b| in the cell; +∞ where one side is not finite and the other differs.</summary>
    public required double[,] Values { get; init; }

    /// <summary>Row bins carrying error while other rows are exact; empty when every row carries some.</summary>
    public required IReadOnlyList<int> MarkedRows { get; init; }

    /// <summary>The cell of the largest error, or null when the sides are identical.</summary>
    public (int Row, int Column)? Pinpoint { get; init; }

    public int Rows => Values.GetLength(0);

    public int Columns => Values.GetLength(1);
}
