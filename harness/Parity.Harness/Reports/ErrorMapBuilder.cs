using System.Globalization;
using Parity.Dump;
using Parity.Harness.Compare;

namespace Parity.Harness.Reports;

/// <summary>Builds an <see cref="ErrorMap"/> from two tensors (pure), or from the dumps a diff compared.</summary>
public static class ErrorMapBuilder
{
    /// <summary>A row carries error when its share of the squared error is above this fraction (as the bisect pinpoint).</summary>
    private const double Negligible = 1e-9;

    /// <summary>
    /// The map of <paramref name="tensor"/> from the run directories of <paramref name="diff"/>, or null when a dump
    /// or the tensor is no longer there (a check's engine dump is removed once the case is judged).
    /// </summary>
    public static ErrorMap? Read(RunDiff diff, StepDiff step, TensorDiff tensor)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(tensor);
        // Only a pair the comparer could read element by element (same shape, metrics computed) has a map.
        if (tensor.Metrics is null || !Directory.Exists(diff.DirectoryA) || !Directory.Exists(diff.DirectoryB))
        {
            return null;
        }

        var index = diff.Steps.ToList().IndexOf(step);
        using var a = DumpRun.Open(diff.DirectoryA).OpenStep(index);
        using var b = DumpRun.Open(diff.DirectoryB).OpenStep(index);
        if (!a.TryGet(tensor.Key, out var ea) || !b.TryGet(tensor.Key, out var eb) || ea.Ne.Count < 3 || !ea.Ne.Skip(1).SequenceEqual(eb.Ne.Skip(1)))
        {
            return null;
        }

        // llama.cpp pads the KV length of attention rows; both sides keep the leading cells they share.
        var keep = (int)Math.Min(ea.Ne[0], eb.Ne[0]);
        var fa = Leading(a.ToFloat32Array(ea), (int)ea.Ne[0], keep);
        var fb = Leading(b.ToFloat32Array(eb), (int)eb.Ne[0], keep);
        long[] ne = [keep, ea.Ne[1], ea.Ne[2] * (ea.Ne.Count > 3 ? ea.Ne[3] : 1)];
        var labels = tensor.DimensionLabels ?? diff.Graph.DimensionLabels(ea.Name, ea.Occurrence);
        return From(fa, fb, ne, labels, step.Positions, tensor.Key, step.Step);
    }

    /// <param name="ne">ggml shape (ne0 fastest), three dimensions.</param>
    /// <param name="labels">Names of ne[0..2] ("channel", "token", "head", "kv", "vocab"; "-" for none).</param>
    /// <param name="positions">Position of each token of the step, for naming token rows and columns.</param>
    public static ErrorMap From(ReadOnlySpan<float> a, ReadOnlySpan<float> b, IReadOnlyList<long> ne, IReadOnlyList<string> labels, IReadOnlyList<int> positions, string tensor, int step)
    {
        ArgumentNullException.ThrowIfNull(ne);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(positions);
        var (rowDim, columnDim) = Axes(labels);
        var grid = new ErrorGrid([(int)ne[0], (int)ne[1], (int)ne[2]], rowDim, columnDim);
        Fill(grid, a, b);
        return Map(grid, labels, positions, tensor, step);
    }

    /// <summary>Every element where the sides differ, in memory order (ne0 fastest).</summary>
    private static void Fill(ErrorGrid grid, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var n = grid.Shape;
        Span<int> at = stackalloc int[3];
        var i = 0;
        for (at[2] = 0; at[2] < n[2]; at[2]++)
        {
            for (at[1] = 0; at[1] < n[1]; at[1]++)
            {
                for (at[0] = 0; at[0] < n[0]; at[0]++, i++)
                {
                    var d = AbsoluteError(a[i], b[i]);
                    if (d != 0)
                    {
                        grid.Add(at, d);
                    }
                }
            }
        }
    }

    /// <summary>The filled grid with its axes named: token rows and columns by position, bins by their index ranges.</summary>
    private static ErrorMap Map(ErrorGrid grid, IReadOnlyList<string> labels, IReadOnlyList<int> positions, string tensor, int step)
    {
        var (rowDim, columnDim) = (grid.RowDim, grid.ColumnDim);
        return new ErrorMap
        {
            Tensor = tensor,
            Step = step,
            RowLabel = Label(labels, rowDim),
            ColumnLabel = Label(labels, columnDim),
            RowNames = BinNames(grid.Shape[rowDim], grid.Rows, labels[rowDim] == "token" ? positions : null),
            ColumnNames = BinNames(grid.Shape[columnDim], grid.Columns, labels[columnDim] == "token" ? positions : null),
            Values = grid.Values,
            MarkedRows = MarkedRows(grid.RowError, grid.Total, grid.Rows),
            Pinpoint = grid.Pinpoint,
        };
    }

    /// <summary>Rows: heads where the tensor has them (columns then token positions), else tokens (columns the rest).</summary>
    private static (int Row, int Column) Axes(IReadOnlyList<string> labels)
    {
        var dims = labels.Take(3).ToList();
        var head = dims.IndexOf("head");
        var token = dims.IndexOf("token");
        if (head >= 0)
        {
            return (head, token >= 0 ? token : head == 0 ? 1 : 0);
        }

        var row = token >= 0 ? token : 1;
        return (row, row == 0 ? 1 : 0);
    }

    private static string Label(IReadOnlyList<string> labels, int dim) => dim < labels.Count && labels[dim] != "-" ? labels[dim] : $"ne[{dim}]";

    /// <summary>|a − b|, with equal values (the same infinity included) exact and any other non-finite pair infinite.</summary>
    private static double AbsoluteError(float a, float b)
    {
        if (a.Equals(b))
        {
            return 0;
        }

        var d = Math.Abs((double)a - b);
        return double.IsFinite(d) ? d : double.PositiveInfinity;
    }

    private static List<int> MarkedRows(double[] rowError, double total, int bins)
    {
        var carrying = Enumerable.Range(0, rowError.Length).Where(i => rowError[i] > total * Negligible).ToList();
        return total == 0 || carrying.Count == rowError.Length
            ? []
            : carrying.Select(i => ErrorGrid.Bin(i, rowError.Length, bins)).Distinct().ToList();
    }

    private static List<string> BinNames(int length, int bins, IReadOnlyList<int>? positions)
    {
        string Name(int i) => positions is not null && i < positions.Count ? positions[i].ToString(CultureInfo.InvariantCulture) : i.ToString(CultureInfo.InvariantCulture);
        var names = new List<string>(bins);
        for (var bin = 0; bin < bins; bin++)
        {
            var first = (int)(((long)bin * length + bins - 1) / bins);
            var last = (int)((((long)bin + 1) * length + bins - 1) / bins) - 1;
            names.Add(first == last ? Name(first) : $"{Name(first)}..{Name(last)}");
        }

        return names;
    }

    private static float[] Leading(float[] values, int rowLength, int keep)
    {
        if (rowLength == keep)
        {
            return values;
        }

        var dense = new float[values.Length / rowLength * keep];
        PaddedRows.CopyLeading(values, rowLength, dense, keep);
        return dense;
    }
}
