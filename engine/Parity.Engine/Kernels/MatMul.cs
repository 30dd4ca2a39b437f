using System.Numerics.Tensors;
using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

/// <summary>
/// <c>y = W x</c> for a batch: for each of <c>n</c> input rows of <see cref="WeightMatrix.Cols"/> floats, one output per
/// weight row. Quantized weights are dequantized one row at a time into a per-worker buffer and dotted with every
/// input row (the "f32" numerics: what the quantized weights mean, computed in float). Rows are split across threads.
/// </summary>
public sealed class MatMul
{
    private readonly int _threads;
    private readonly float[][] _rowBuffers;

    public MatMul(int threads, int maxCols)
    {
        _threads = Math.Max(1, threads);
        _rowBuffers = [.. Enumerable.Range(0, _threads).Select(_ => new float[maxCols])];
    }

    public int Threads => _threads;

    /// <param name="x">Inputs, [n][w.Cols] row-major.</param>
    /// <param name="y">Outputs, [n][w.Rows] row-major (ggml's [w.Rows, n]).</param>
    public unsafe void Compute(in WeightMatrix w, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        if (x.Length < n * w.Cols || y.Length < n * w.Rows)
        {
            throw new ArgumentException($"matmul {w.Name}: buffers too small for {n} rows");
        }

        var weights = w;
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            var xPtr = xp;
            var yPtr = yp;
            var chunk = (w.Rows + _threads - 1) / _threads;
            Parallel.For(0, _threads, new ParallelOptions { MaxDegreeOfParallelism = _threads }, worker =>
            {
                var first = worker * chunk;
                var end = Math.Min(weights.Rows, first + chunk);
                var buffer = _rowBuffers[worker].AsSpan(0, weights.Cols);
                var inputs = new ReadOnlySpan<float>(xPtr, n * weights.Cols);
                var outputs = new Span<float>(yPtr, n * weights.Rows);
                for (var r = first; r < end; r++)
                {
                    ReadOnlySpan<float> row;
                    if (weights.Type == GgmlType.F32)
                    {
                        row = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weights.Row(r));
                    }
                    else
                    {
                        Dequantize.Row(weights.Type, weights.Row(r), buffer);
                        row = buffer;
                    }

                    for (var t = 0; t < n; t++)
                    {
                        outputs[(t * weights.Rows) + r] = TensorPrimitives.Dot(row, inputs.Slice(t * weights.Cols, weights.Cols));
                    }
                }
            });
        }
    }

    /// <summary>Copies rows of a (possibly quantized) embedding matrix: ggml's GET_ROWS.</summary>
    public static void GetRows(in WeightMatrix w, ReadOnlySpan<int> ids, Span<float> destination)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)w.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"token id outside the vocabulary of {w.Rows}");
            }

            Dequantize.Row(w.Type, w.Row(ids[i]), destination.Slice(i * w.Cols, w.Cols));
        }
    }
}
