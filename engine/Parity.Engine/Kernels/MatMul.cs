using System.Numerics.Tensors;
using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

/// <summary>
/// <c>y = W x</c> for a batch: for each of <c>n</c> input rows of <see cref="WeightMatrix.Cols"/> floats, one output per
/// weight row, rows split over a worker pool. In ggml numerics every product is ggml's own: integer block dots against
/// quantized activations for the quantized types (<see cref="Q8_0Dot"/>, <see cref="Q8_1Dot"/>, the K-quant dots),
/// ggml's float dots for F32/F16/BF16, batches through 2-row × 4-token tiles of the same dots (<c>MatMul.Tiles.cs</c>),
/// activations quantized once per input (<c>MatMul.Activations.cs</c>). In f32 numerics quantized rows are dequantized
/// into a per-worker buffer and dotted in float: what the quantized weights mean.
/// </summary>
public sealed unsafe partial class MatMul : IDisposable
{
    private readonly WorkerPool _pool;
    private readonly float[][] _rowBuffers;
    private readonly Action<int> _part;
    private readonly Action<int> _quantizePart;

    // The call in flight, read by every part (set before the pool runs, cleared after).
    private WeightMatrix _w;
    private float* _x;
    private float* _y;
    private int _n;

    // Rows are handed out in chunks from a shared counter (as ggml's mul_mat does) rather than split evenly up front: on
    // a shared 2-vCPU VM one thread is often preempted, and a static half then waits for it (prompt processing with 2
    // threads varied 25-52 tok/s on the 1.1B Q4_0 with static halves).
    private int _nextRow;
    private int _chunkRows;

    private readonly bool _ggmlRounding;
    private readonly Q8_1Activations _q8_1 = new();
    private readonly Q8_0Activations _q8_0 = new();
    private readonly Q8_KActivations _q8_k = new();
    private readonly Model.EngineTestHooks.RowDequantizer? _dequantizer = Model.EngineTestHooks.ActiveDequantizer;
    private float[] _rounded = [];
    private float[] _xScaled = [];
    private readonly Dictionary<nint, bool> _finiteF16 = [];
    private bool _rowsFinite;

    /// <summary>
    /// F16 rows at least this long go four at a time (see <see cref="F16RowDot.Dot4"/>); shorter rows lose by it, since
    /// 2048 halves are exactly 4 KiB and four rows 4 KiB apart alias in the L1 cache.
    /// </summary>
    private const int F16FourRowCols = 4096;
    private bool _blockDotQ8_1;
    private bool _blockDotQ8_0;
    private bool _blockDotQ8_K;
    private bool _floatDot;

    // One token against F16 weights: rows read straight through F16RowDot against x pre-scaled into _xScaled.
    private bool _f16Row;

    public MatMul(int threads, int maxCols, bool ggmlActivationRounding = false)
    {
        _ggmlRounding = ggmlActivationRounding;
        _pool = new WorkerPool(threads);
        _rowBuffers = [.. Enumerable.Range(0, _pool.Workers).Select(_ => new float[2 * maxCols])];
        _part = Part;
        _quantizePart = QuantizePart;
    }

    public int Threads => _pool.Workers;

    /// <summary>The worker pool, shared with the model's other parallel ops (attention heads).</summary>
    internal WorkerPool Pool => _pool;

    /// <summary>Bytes allocated on the worker threads (diagnostic).</summary>
    internal long WorkerAllocatedBytes => _pool.WorkerAllocatedBytes;

    /// <param name="x">Inputs, [n][w.Cols] row-major.</param>
    /// <param name="y">Outputs, [n][w.Rows] row-major (ggml's [w.Rows, n]).</param>
    public void Compute(in WeightMatrix w, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        if (x.Length < n * w.Cols || y.Length < n * w.Rows)
        {
            throw new ArgumentException($"matmul {w.Name}: buffers too small for {n} rows");
        }

        // ggml numerics: the activations as ggml's dot product sees them (rounded once per call, shared by all parts).
        // Q4_1/Q5_1 need ggml's block dot itself: its per-block sum term is not a rounding of the activations.
        _blockDotQ8_1 = _ggmlRounding && w.Type is GgmlType.Q4_1 or GgmlType.Q5_1;
        _blockDotQ8_0 = _ggmlRounding && Q8_0Dot.Supports(w.Type) && _dequantizer is null;
        _floatDot = _ggmlRounding && w.Type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;
        _blockDotQ8_K = _ggmlRounding && w.Type is GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K && _dequantizer is null;
        // ggml's integer block dots read quantized activations: Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, Q8_0 for
        // Q4_0/Q5_0/Q8_0 (each bit-exact with ggml, float accumulation order included).
        var activations = _blockDotQ8_1 ? ActivationKind.Q8_1 : _blockDotQ8_K ? ActivationKind.Q8_K : _blockDotQ8_0 ? ActivationKind.Q8_0 : ActivationKind.None;
        if (activations != ActivationKind.None)
        {
            QuantizeActivations(activations, x, n, w.Cols);
        }
        else if (_ggmlRounding && ActivationRounding.VecDotType(w.Type) is { } activationType)
        {
            if (_rounded.Length < n * w.Cols)
            {
                _rounded = new float[n * w.Cols];
            }

            for (var t = 0; t < n; t++)
            {
                ActivationRounding.Apply(activationType, x.Slice(t * w.Cols, w.Cols), _rounded.AsSpan(t * w.Cols, w.Cols));
            }

            x = _rounded.AsSpan(0, n * w.Cols);
        }

        _f16Row = _floatDot && n == 1 && w.Type == GgmlType.F16 && _dequantizer is null;
        if (_f16Row)
        {
            if (_xScaled.Length < w.Cols)
            {
                _xScaled = new float[w.Cols];
            }

            F16RowDot.ScaleX(x[..w.Cols], _xScaled);

            // Weights do not change: each F16 matrix is scanned for infinities and NaNs once, on first use.
            if (!_finiteF16.TryGetValue((nint)w.Data, out _rowsFinite))
            {
                _rowsFinite = true;
                for (var r = 0; r < w.Rows && _rowsFinite; r++)
                {
                    _rowsFinite = F16RowDot.AllFinite(w.Row(r));
                }

                _finiteF16[(nint)w.Data] = _rowsFinite;
            }
        }

        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            _w = w;
            _x = xp;
            _y = yp;
            _n = n;
            _nextRow = 0;
            _chunkRows = ChunkRows(w.Rows, _pool.Workers);
            try
            {
                _pool.Run(_part);
            }
            finally
            {
                _x = null;
                _y = null;
            }
        }
    }

    /// <summary>
    /// Rows per chunk: about eight chunks per worker, a multiple of 4 (the two-row tiles and the four-row F16 kernel
    /// stay whole); one chunk when there is one worker. Which thread computes a row never changes its bits.
    /// </summary>
    internal static int ChunkRows(int rows, int workers) =>
        workers <= 1 ? Math.Max(1, rows) : Math.Max(4, (rows / (workers * 8) + 3) / 4 * 4);

    /// <summary>One worker's share: chunks of weight rows, taken from the shared counter until none are left.</summary>
    private void Part(int worker)
    {
        var rows = _w.Rows;
        var chunk = _chunkRows;
        while (true)
        {
            var first = Interlocked.Add(ref _nextRow, chunk) - chunk;
            if (first >= rows)
            {
                return;
            }

            Rows(worker, first, Math.Min(rows, first + chunk));
        }
    }

    /// <summary>Weight rows [<paramref name="first"/>, <paramref name="end"/>) against every input row.</summary>
    private void Rows(int worker, int first, int end)
    {
        var w = _w;
        var buffer = _rowBuffers[worker].AsSpan(0, w.Cols);
        var inputs = new ReadOnlySpan<float>(_x, _n * w.Cols);
        var outputs = new Span<float>(_y, _n * w.Rows);
        if (_n >= TileTokens && Tiled(w.Type))
        {
            first = Tiles(w, first, end, outputs);
        }
        else if (_n >= TileTokens && _floatDot && TinyBlasAccepts(w) && F16Dot.TileSupported && _dequantizer is null)
        {
            first = FloatTiles(w, first, end, _rowBuffers[worker], inputs, outputs);
        }

        if (_blockDotQ8_K && _n == 1 && w.Type == GgmlType.Q6_K)
        {
            Q6KDot.Rows(w.Data, w.RowBytes, first, end, _q8_k.Quants(0, w.Cols), _q8_k.Scales(0, w.Cols), _q8_k.BlockSums(0, w.Cols), outputs);
            return;
        }

        for (var r = first; r < end; r++)
        {
            if (_blockDotQ8_0 || _blockDotQ8_1 || _blockDotQ8_K)
            {
                for (var t = 0; t < _n; t++)
                {
                    outputs[(t * w.Rows) + r] = BlockDot(w, r, t);
                }

                continue;
            }

            if (_f16Row)
            {
                // One token against F16 weights: convert in registers, read each row once; long rows four at a time
                // (x read once for four rows: alone, a long x does not stay in L1 beside a streaming row).
                if (w.Cols >= F16FourRowCols && w.Cols % 64 == 0 && r + 4 <= end && F16RowDot.UseVectors && F16RowDot.Use512)
                {
                    fixed (float* xs = _xScaled)
                    {
                        if (F16RowDot.Dot4(w.Data + ((long)r * w.RowBytes), w.RowBytes, xs, w.Cols, outputs.Slice(r, 4), _rowsFinite))
                        {
                            r += 3;
                            continue;
                        }
                    }
                }

                outputs[r] = F16RowDot.Dot(w.Row(r), inputs[..w.Cols], _xScaled.AsSpan(0, w.Cols), buffer, _rowsFinite);
                continue;
            }

            ReadOnlySpan<float> row;
            if (w.Type == GgmlType.F32)
            {
                row = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(w.Row(r));
            }
            else
            {
                if (_dequantizer is null || !_dequantizer(w.Type, w.Row(r), buffer))
                {
                    Dequantize.Row(w.Type, w.Row(r), buffer);
                }

                row = buffer;
            }

            if (_floatDot)
            {
                // ggml's order: tinyBLAS for a batch it accepts (k % 16 == 0, m % 4 == 0), else the type's vec_dot.
                var tinyBlas = _n > 1 && TinyBlasAccepts(w);
                for (var t = 0; t < _n; t++)
                {
                    var x = inputs.Slice(t * w.Cols, w.Cols);
                    outputs[(t * w.Rows) + r] = tinyBlas ? F16Dot.TinyBlas(row, 1, x, w.Cols) : w.Type switch
                    {
                        GgmlType.F32 => FloatDot.F32(row, x),
                        GgmlType.F16 => FloatDot.F16(row, x),
                        _ => FloatDot.Bf16(row, x),
                    };
                }

                continue;
            }

            for (var t = 0; t < _n; t++)
            {
                outputs[(t * w.Rows) + r] = TensorPrimitives.Dot(row, inputs.Slice(t * w.Cols, w.Cols));
            }
        }
    }

    /// <summary>One (row, token) pair through ggml's block dot for the weight type (Q8_0, Q8_1 or Q8_K activations).</summary>
    private float BlockDot(in WeightMatrix w, int r, int t) => w.Type switch
    {
        GgmlType.Q4_1 or GgmlType.Q5_1 => Q8_1Dot.Row(w.Type, w.Row(r), _q8_1.Quants(t, w.Cols), _q8_1.Scales(t, w.Cols), _q8_1.Sums(t, w.Cols)),
        GgmlType.Q4_K => Q4KDot.Row(w.Row(r), _q8_k.Quants(t, w.Cols), _q8_k.Scales(t, w.Cols), _q8_k.BlockSums(t, w.Cols)),
        GgmlType.Q5_K => Q5KDot.Row(w.Row(r), _q8_k.Quants(t, w.Cols), _q8_k.Scales(t, w.Cols), _q8_k.BlockSums(t, w.Cols)),
        GgmlType.Q2_K => Q2KDot.Row(w.Row(r), _q8_k.Quants(t, w.Cols), _q8_k.Scales(t, w.Cols), _q8_k.BlockSums(t, w.Cols)),
        GgmlType.Q3_K => Q3KDot.Row(w.Row(r), _q8_k.Quants(t, w.Cols), _q8_k.Scales(t, w.Cols)),
        GgmlType.Q6_K => Q6KDot.Row(w.Row(r), _q8_k.Quants(t, w.Cols), _q8_k.Scales(t, w.Cols), _q8_k.BlockSums(t, w.Cols)),
        _ => Q8_0Dot.Row(w.Type, w.Row(r), _q8_0.Quants(t, w.Cols), _q8_0.Scales(t, w.Cols)),
    };

    public void Dispose() => _pool.Dispose();

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
