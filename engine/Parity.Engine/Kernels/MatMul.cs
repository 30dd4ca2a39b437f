using System.Numerics.Tensors;
using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

/// <summary>
/// <c>y = W x</c> for a batch: for each of <c>n</c> input rows of <see cref="WeightMatrix.Cols"/> floats, one output per
/// weight row. Quantized weights are dequantized one row at a time into a per-worker buffer and dotted with every
/// input row (the "f32" numerics: what the quantized weights mean, computed in float). Rows are split across threads.
/// </summary>
public sealed unsafe class MatMul : IDisposable
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

        if (_floatDot && n == 1 && w.Type == GgmlType.F16)
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

    private enum ActivationKind
    {
        None,
        Q8_0,
        Q8_1,
        Q8_K,
    }

    // The input the quantized activations were made from, so the next product on the same input (Q, K and V; gate and
    // up) reuses them: compared by content, which costs a memcmp where quantizing costs a pass of rounding.
    private float[] _quantizedFrom = [];
    private ActivationKind _quantizedKind;
    private int _quantizedN;
    private int _quantizedCols;
    private ActivationKind _quantizeKind;
    private float* _quantizeInput;
    private int _quantizeBlocks;

    private void QuantizeActivations(ActivationKind kind, ReadOnlySpan<float> x, int n, int cols)
    {
        var length = n * cols;
        if (kind == _quantizedKind && n == _quantizedN && cols == _quantizedCols && x[..length].SequenceEqual(_quantizedFrom.AsSpan(0, length)))
        {
            return;
        }

        var blockSize = kind == ActivationKind.Q8_K ? Q8_KActivations.BlockSize : Q8_0Activations.BlockSize;
        switch (kind)
        {
            case ActivationKind.Q8_0: _q8_0.Prepare(n, cols); break;
            case ActivationKind.Q8_1: _q8_1.Prepare(n, cols); break;
            default: _q8_k.Prepare(n, cols); break;
        }

        fixed (float* xp = x)
        {
            _quantizeKind = kind;
            _quantizeInput = xp;
            _quantizeBlocks = length / blockSize;
            try
            {
                // A batch's activations are quantized by every worker (a serial pass was a tenth of a 2-thread prompt).
                if (_pool.Workers > 1 && _quantizeBlocks >= 16 * _pool.Workers)
                {
                    _pool.Run(_quantizePart);
                }
                else
                {
                    QuantizeBlocks(0, _quantizeBlocks);
                }
            }
            finally
            {
                _quantizeInput = null;
            }
        }

        if (_quantizedFrom.Length < length)
        {
            _quantizedFrom = new float[length];
        }

        x[..length].CopyTo(_quantizedFrom);
        (_quantizedKind, _quantizedN, _quantizedCols) = (kind, n, cols);
    }

    private void QuantizePart(int worker)
    {
        var chunk = (_quantizeBlocks + _pool.Workers - 1) / _pool.Workers;
        var first = Math.Min(_quantizeBlocks, worker * chunk);
        QuantizeBlocks(first, Math.Min(_quantizeBlocks, first + chunk));
    }

    private void QuantizeBlocks(int first, int end)
    {
        var blockSize = _quantizeKind == ActivationKind.Q8_K ? Q8_KActivations.BlockSize : Q8_0Activations.BlockSize;
        var x = new ReadOnlySpan<float>(_quantizeInput, _quantizeBlocks * blockSize);
        switch (_quantizeKind)
        {
            case ActivationKind.Q8_0: _q8_0.QuantizeBlocks(x, first, end); break;
            case ActivationKind.Q8_1: _q8_1.QuantizeBlocks(x, first, end); break;
            default: _q8_k.QuantizeBlocks(x, first, end); break;
        }
    }

    /// <summary>One worker's share: a contiguous range of weight rows against every input row.</summary>
    private void Part(int worker)
    {
        var w = _w;
        var chunk = (w.Rows + _pool.Workers - 1) / _pool.Workers;
        var first = worker * chunk;
        var end = Math.Min(w.Rows, first + chunk);
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

        for (var r = first; r < end; r++)
        {
            if (_blockDotQ8_1)
            {
                for (var t = 0; t < _n; t++)
                {
                    outputs[(t * w.Rows) + r] = Q8_1Dot.Row(w.Type, w.Row(r), _q8_1.Quants(t, w.Cols), _q8_1.Scales(t, w.Cols), _q8_1.Sums(t, w.Cols));
                }

                continue;
            }

            if (_blockDotQ8_K || _blockDotQ8_0)
            {
                for (var t = 0; t < _n; t++)
                {
                    outputs[(t * w.Rows) + r] = BlockDot(w, r, t);
                }

                continue;
            }

            if (_floatDot && _n == 1 && w.Type == GgmlType.F16 && _dequantizer is null)
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

    private const int TileRows = 2;
    private const int TileTokens = 4;

    /// <summary>Whether a batch of this type goes through a 2-row × 4-token tile kernel (same bits as the row kernel).</summary>
    private bool Tiled(GgmlType type) =>
        (_blockDotQ8_0 && Q8_0Dot.TileSupported) || (_blockDotQ8_K && Q4KDot.UseAvx2 && type == GgmlType.Q4_K) || (_blockDotQ8_K && Q6KDot.UseAvx2 && type == GgmlType.Q6_K);

    /// <summary>
    /// Rows <paramref name="first"/>.. in tiles of 2 rows × 4 tokens (tokens left over go through the row kernels);
    /// returns the first row it did not do (an odd last row).
    /// </summary>
    private int Tiles(in WeightMatrix w, int first, int end, Span<float> outputs)
    {
        Span<float> tile = stackalloc float[TileRows * TileTokens];
        var r = first;
        var q8k = w.Type is GgmlType.Q4_K or GgmlType.Q6_K;
        fixed (sbyte* quants = q8k ? _q8_k.Quants(0, w.Cols) : _q8_0.Quants(0, w.Cols))
        fixed (float* scales = q8k ? _q8_k.Scales(0, w.Cols) : _q8_0.Scales(0, w.Cols))
        fixed (short* bsums = q8k ? _q8_k.BlockSums(0, w.Cols) : default)
        {
            var weights = w.Data;
            var blockSize = q8k ? Q8_KActivations.BlockSize : Q8_0Activations.BlockSize;
            for (; r + TileRows <= end; r += TileRows)
            {
                var row0 = weights + ((long)r * w.RowBytes);
                var row1 = row0 + w.RowBytes;
                var t = 0;
                for (; t + TileTokens <= _n; t += TileTokens)
                {
                    var y = quants + ((long)t * w.Cols);
                    var ys = scales + ((long)t * w.Cols / blockSize);
                    switch (w.Type)
                    {
                        case GgmlType.Q4_K:
                            Q4KDot.Tile(row0, row1, y, ys, bsums + ((long)t * w.Cols / 16), w.Cols, tile);
                            break;
                        case GgmlType.Q6_K:
                            Q6KDot.Tile(row0, row1, y, ys, bsums + ((long)t * w.Cols / 16), w.Cols, tile);
                            break;
                        default:
                            Q8_0Dot.Tile(w.Type, row0, row1, y, ys, w.Cols, tile);
                            break;
                    }

                    for (var j = 0; j < TileTokens; j++)
                    {
                        outputs[((t + j) * w.Rows) + r] = tile[2 * j];
                        outputs[((t + j) * w.Rows) + r + 1] = tile[(2 * j) + 1];
                    }
                }

                for (; t < _n; t++)
                {
                    outputs[(t * w.Rows) + r] = BlockDot(w, r, t);
                    outputs[(t * w.Rows) + r + 1] = BlockDot(w, r + 1, t);
                }
            }
        }

        return r;
    }

    /// <summary>ggml sends a float batch to tinyBLAS when k % 16 == 0 and m % 4 == 0 (else to the type's vec_dot).</summary>
    private static bool TinyBlasAccepts(in WeightMatrix w) => w.Cols % 16 == 0 && w.Rows % 4 == 0;

    /// <summary>Float weights in tiles of 2 rows × 4 tokens in tinyBLAS's order; returns the first row it did not do.</summary>
    private int FloatTiles(in WeightMatrix w, int first, int end, float[] buffers, ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        Span<float> tile = stackalloc float[TileRows * TileTokens];
        var r = first;
        fixed (float* buffer = buffers)
        fixed (float* x = inputs)
        {
            for (; r + TileRows <= end; r += TileRows)
            {
                float* row0, row1;
                if (w.Type == GgmlType.F32)
                {
                    row0 = (float*)(w.Data + ((long)r * w.RowBytes));
                    row1 = (float*)(w.Data + ((long)(r + 1) * w.RowBytes));
                }
                else
                {
                    row0 = buffer;
                    row1 = buffer + w.Cols;
                    Dequantize.Row(w.Type, w.Row(r), new Span<float>(row0, w.Cols));
                    Dequantize.Row(w.Type, w.Row(r + 1), new Span<float>(row1, w.Cols));
                }

                var t = 0;
                for (; t + TileTokens <= _n; t += TileTokens)
                {
                    F16Dot.TinyBlasTile(row0, row1, x + ((long)t * w.Cols), w.Cols, w.Cols, tile);
                    for (var j = 0; j < TileTokens; j++)
                    {
                        outputs[((t + j) * w.Rows) + r] = tile[2 * j];
                        outputs[((t + j) * w.Rows) + r + 1] = tile[(2 * j) + 1];
                    }
                }

                for (; t < _n; t++)
                {
                    var xt = inputs.Slice(t * w.Cols, w.Cols);
                    outputs[(t * w.Rows) + r] = F16Dot.TinyBlas(new ReadOnlySpan<float>(row0, w.Cols), 1, xt, w.Cols);
                    outputs[(t * w.Rows) + r + 1] = F16Dot.TinyBlas(new ReadOnlySpan<float>(row1, w.Cols), 1, xt, w.Cols);
                }
            }
        }

        return r;
    }

    /// <summary>One (row, token) pair through ggml's block dot for the weight type (Q8_0 or Q8_K activations).</summary>
    private float BlockDot(in WeightMatrix w, int r, int t) => w.Type switch
    {
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
