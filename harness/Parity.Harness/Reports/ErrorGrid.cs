namespace Parity.Harness.Reports;

/// <summary>
/// The binned grid an <see cref="ErrorMap"/> is drawn from, filled one differing element at a time: each cell keeps
/// the largest |a − b| of its bin, each unbinned row its share of the squared error, and the largest error its cell.
/// </summary>
internal sealed class ErrorGrid
{
    /// <param name="shape">ne[0..2] of the tensor (ne0 fastest).</param>
    /// <param name="rowDim">The dimension drawn as rows; <paramref name="columnDim"/> the one drawn as columns.</param>
    public ErrorGrid(int[] shape, int rowDim, int columnDim)
    {
        (Shape, RowDim, ColumnDim) = (shape, rowDim, columnDim);
        Values = new double[Math.Min(shape[rowDim], ErrorMap.MaxRows), Math.Min(shape[columnDim], ErrorMap.MaxColumns)];
        RowError = new double[shape[rowDim]];
    }

    public int[] Shape { get; }

    public int RowDim { get; }

    public int ColumnDim { get; }

    /// <summary>[row bin, column bin]: the largest |a − b| in the cell.</summary>
    public double[,] Values { get; }

    /// <summary>Squared error per row before binning, so a single exact row is still told apart.</summary>
    public double[] RowError { get; }

    public double Total { get; private set; }

    public double Max { get; private set; }

    public (int Row, int Column)? Pinpoint { get; private set; }

    public int Rows => Values.GetLength(0);

    public int Columns => Values.GetLength(1);

    /// <param name="at">The element's index in each of the three dimensions.</param>
    /// <param name="error">Its |a − b|, above zero (+∞ for a non-finite difference).</param>
    public void Add(ReadOnlySpan<int> at, double error)
    {
        var (r, c) = (Bin(at[RowDim], Shape[RowDim], Rows), Bin(at[ColumnDim], Shape[ColumnDim], Columns));
        Values[r, c] = Math.Max(Values[r, c], error);

        // An infinite error still has to weigh in the row shares without making every share NaN.
        var squared = double.IsFinite(error) ? error * error : double.MaxValue / 1e6;
        RowError[at[RowDim]] += squared;
        Total += squared;
        if (error > Max)
        {
            (Max, Pinpoint) = (error, (r, c));
        }
    }

    /// <summary>The bin of <paramref name="index"/> when <paramref name="length"/> indices share <paramref name="bins"/> bins.</summary>
    public static int Bin(int index, int length, int bins) => (int)((long)index * bins / length);
}
