using System.Numerics.Tensors;
using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

/// <summary>
/// <c>y = W x</c> for a batch: for each of <c>n</c> input rows of <see cref="WeightMatrix.Cols"/> floats, one output per
/// weight row, rows split over a worker pool. In ggml numerics every product is ggml's own: integer block dots against
/// quantized activations for the quantized types (<see cref="Q8_0Dot"/>, <see cref="Q8_1Dot"/>, the K-quant dots),
/// ggml's float dots for F32/F16/BF16, batches through 2-row × 4-token tiles of the same dots (<c>MatMul.Tiles.cs</c>),
/// activations quantized once per input (<c>MatMul.Activations.cs</c>). Which kernels a matrix uses comes from its
/// type's row in the <see cref="GgmlTypeTable"/>, once per call. In f32 numerics quantized rows are dequantized into a
/// per-worker buffer and dotted in float: what the quantized weights mean.
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
    private readonly GgmlTypeTable _types;
    private readonly bool _repack;
    private readonly nint _keepPlain;

    // The activations of each repacked weight type (its layout's quantization), by weight type number.
    private readonly QuantizedActivations?[] _repackedActivations;

    // The buffers of each block vec_dot_type (Q8_0, Q8_1, Q8_K), by type number, made once.
    private readonly QuantizedActivations?[] _activations;
    private float[] _rounded = [];
    private float[] _xScaled = [];
    private readonly Dictionary<nint, bool> _finiteF16 = [];
    private bool _rowsFinite;

    /// <summary>
    /// F16 rows at least this long go four at a time (see <see cref="F16RowDot.Dot4"/>): from 8192 columns x's floats
    /// (32 KiB) no longer stay in L1 beside a streaming row, so reading x once for four rows wins; shorter rows lose by
    /// it (2048 halves are exactly 4 KiB, and four rows 4 KiB apart alias in the L1 cache).
    /// </summary>
    private const int F16FourRowCols = 8192;

    // How the call in flight computes its products, chosen once per matrix from its type's row.
    private GgmlTypeTraits _traits = null!;
    private VecDotKernel? _vecDot;
    private TileKernel? _tile;
    private QuantizedActivations? _blockActivations;
    private FloatDotKernel? _floatDot;

    // Repacked weights: the activation rows [0, _gemmTokens) take the layout's GEMM kernel, the rest its GEMV.
    private VecDotKernel? _gemmDot;
    private int _gemmTokens;

    // One token against F16 weights: rows read straight through F16RowDot against x pre-scaled into _xScaled.
    private bool _f16Row;

    /// <param name="repack">
    /// ggml numerics of llama.cpp with repacked weights: a matrix whose type the table's variant repacks (and whose row
    /// count the layout takes) goes through the type's <see cref="GgmlTypeTraits.Repacked"/> kernel and activations.
    /// </param>
    /// <param name="keepPlain">The matrix llama.cpp keeps in its plain buffer even so (the token embedding, which GET_ROWS reads, when the output shares it).</param>
    /// <param name="weights">
    /// The model's matrices: each is copied once, here, into memory on huge pages (<see cref="ResidentWeights"/>), with
    /// <paramref name="repack"/> those the layouts take interleaved, and the products read the copies.
    /// </param>
    public MatMul(int threads, int maxCols, bool ggmlActivationRounding = false, GgmlTypeTable? types = null, bool repack = false, nint keepPlain = 0, IEnumerable<WeightMatrix>? weights = null)
    {
        _ggmlRounding = ggmlActivationRounding;
        _types = types ?? GgmlTypeTable.Default;
        _repack = repack && ggmlActivationRounding;
        _keepPlain = keepPlain;
        _activations = new QuantizedActivations?[(int)Enum.GetValues<GgmlType>().Max() + 1];
        _repackedActivations = new QuantizedActivations?[_activations.Length];
        foreach (var row in _types.Rows)
        {
            _activations[(int)row.Type] = row.FromFloat?.Invoke();
            _repackedActivations[(int)row.Type] = _repack ? row.Repacked?.FromFloat() : null;
        }

        _resident = weights is not null ? ResidentWeights.Build(weights, _types, keepPlain, _repack) : null;
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
    public void Compute(in WeightMatrix matrix, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        if (x.Length < n * matrix.Cols || y.Length < n * matrix.Rows)
        {
            throw new ArgumentException($"matmul {matrix.Name}: buffers too small for {n} rows");
        }

        // The file's matrix picks the products (and finds its interleaved copy); its resident copy is what they read.
        x = PrepareActivations(matrix, x, n);
        var w = _resident is null ? matrix : _resident.Resolve(matrix);
        // The register-widening F16 row kernel is in the AVX-512 build's order only.
        _f16Row = _floatDot is not null && n == 1 && w.Type == GgmlType.F16 && _types.Variant == GgmlVariant.Avx512;
        if (_f16Row)
        {
            PrepareF16Row(w, x);
        }

        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            _w = w;
            _x = xp;
            _y = yp;
            _n = n;
            _nextRow = 0;
            _chunkRows = _groups is null ? ChunkRows(w.Rows, _pool.Workers) : GroupChunkRows(w.Rows, _pool.Workers);
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
    /// Chooses the products from the weight type's row and readies the activations as they read them. ggml numerics:
    /// an integer block dot reads x quantized to its vec_dot_type's blocks (once per input, shared by every part); a
    /// float dot, or a type with only a dequantizer, reads x rounded to its vec_dot_type. f32 numerics: x as it is.
    /// </summary>
    private ReadOnlySpan<float> PrepareActivations(WeightMatrix w, ReadOnlySpan<float> x, int n)
    {
        var traits = _types[w.Type];
        var cols = w.Cols;
        _gemmDot = null;
        _gemmTokens = 0;
        _groups = null;
        if (_repack && traits.Repacked is { } repacked && repacked.Takes(w.Rows) && w.Address != _keepPlain)
        {
            _traits = traits;
            _blockActivations = _repackedActivations[(int)w.Type]!;
            _groups = _resident is null ? null : _resident.Find(w);
            (_groupGemv, _groupGemm) = (repacked.GroupGemv, repacked.GroupGemm);
            _vecDot = repacked.Gemv;
            _gemmDot = repacked.Gemm;
            _gemmTokens = n - (n % 4);
            _tile = null;
            _floatDot = null;
            QuantizeActivations(_blockActivations, _types[traits.VecDotType!.Value].BlockSize, x, n, cols);
            return x;
        }

        var activationType = _ggmlRounding && traits.VecDotType is { } vecDotType ? _types[vecDotType] : null;
        _traits = traits;
        _blockActivations = traits.VecDot is null || activationType is null ? null : _activations[(int)activationType.Type];
        _vecDot = _blockActivations is null ? null : n == 1 && traits.VecDotOneToken is { } oneToken ? oneToken : traits.VecDot;
        _tile = _vecDot is null ? null : traits.Tile;
        _floatDot = _ggmlRounding ? traits.FloatDot : null;
        if (_blockActivations is not null)
        {
            QuantizeActivations(_blockActivations, activationType!.BlockSize, x, n, cols);
            return x;
        }

        if (activationType?.Round is not { } round)
        {
            return x;
        }

        if (_rounded.Length < n * cols)
        {
            _rounded = new float[n * cols];
        }

        for (var t = 0; t < n; t++)
        {
            round(x.Slice(t * cols, cols), _rounded.AsSpan(t * cols, cols));
        }

        return _rounded.AsSpan(0, n * cols);
    }

    /// <summary>One token against F16 weights: x pre-scaled for <see cref="F16RowDot"/>, the matrix scanned once for infinities and NaNs.</summary>
    private void PrepareF16Row(in WeightMatrix w, ReadOnlySpan<float> x)
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
        if (_groups is not null)
        {
            GroupRows(w, first, end);
            return;
        }

        var outputs = new Span<float>(_y, _n * w.Rows);
        if (_vecDot is { } vecDot)
        {
            BlockDots(w, vecDot, first, end, outputs);
            return;
        }

        var buffer = _rowBuffers[worker].AsSpan(0, w.Cols);
        var inputs = new ReadOnlySpan<float>(_x, _n * w.Cols);
        if (_n >= TileTokens && _floatDot is not null && TinyBlasAccepts(w) && F16Dot.TileSupported && _types.Kernels.TinyBlasLanes == 16)
        {
            first = FloatTiles(w, first, end, _rowBuffers[worker], inputs, outputs);
        }

        for (var r = first; r < end; r++)
        {
            if (_f16Row)
            {
                r = F16Row(w, r, end, inputs, buffer, outputs);
                continue;
            }

            // F32 rows are read in place; every other type is widened into the worker's buffer.
            ReadOnlySpan<float> row = buffer;
            if (w.Type == GgmlType.F32)
            {
                row = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(w.Row(r));
            }
            else
            {
                _traits.Dequantize(w.Row(r), buffer);
            }

            if (_floatDot is { } floatDot)
            {
                // ggml's order: tinyBLAS for a batch it accepts (k a multiple of its lanes, m % 4 == 0), else the type's vec_dot.
                var tinyBlas = _n > 1 && TinyBlasAccepts(w);
                for (var t = 0; t < _n; t++)
                {
                    var x = inputs.Slice(t * w.Cols, w.Cols);
                    outputs[(t * w.Rows) + r] = tinyBlas ? _types.Kernels.TinyBlas(row, 1, x, w.Cols) : floatDot(row, x);
                }

                continue;
            }

            for (var t = 0; t < _n; t++)
            {
                outputs[(t * w.Rows) + r] = TensorPrimitives.Dot(row, inputs.Slice(t * w.Cols, w.Cols));
            }
        }
    }

    /// <summary>
    /// One token against F16 weights: converted in registers, each row read once; long rows four at a time (x read
    /// once for four rows: alone, a long x does not stay in L1 beside a streaming row). Returns the last row done.
    /// </summary>
    private int F16Row(in WeightMatrix w, int r, int end, ReadOnlySpan<float> inputs, Span<float> buffer, Span<float> outputs)
    {
        if (w.Cols >= F16FourRowCols && w.Cols % 64 == 0 && r + 4 <= end && F16RowDot.Use512)
        {
            fixed (float* xs = _xScaled)
            {
                if (F16RowDot.Dot4(w.Data + ((long)r * w.RowBytes), w.RowBytes, xs, w.Cols, outputs.Slice(r, 4), _rowsFinite))
                {
                    return r + 3;
                }
            }
        }

        outputs[r] = F16RowDot.Dot(w.Row(r), inputs[..w.Cols], _xScaled.AsSpan(0, w.Cols), buffer, _rowsFinite);
        return r;
    }

    /// <summary>
    /// Rows [<paramref name="first"/>, <paramref name="end"/>) through the type's integer block dot: whole tiles first
    /// where the type has a tile kernel, then every (row, token) pair left, in runs of rows per token so a run stays in
    /// cache across the tokens. The kernel is called once per run, never per block.
    /// </summary>
    private void BlockDots(in WeightMatrix w, VecDotKernel vecDot, int first, int end, Span<float> outputs)
    {
        var tiledEnd = first;
        var tiledTokens = 0;
        if (_tile is { } tile && _n >= TileTokens)
        {
            tiledEnd = Tiles(w, tile, first, end, outputs);
            tiledTokens = _n / TileTokens * TileTokens;
        }

        var run = _n == 1 ? end - first : BlockDotRun;
        for (var r0 = first; r0 < end; r0 += run)
        {
            var r1 = Math.Min(end, r0 + run);
            for (var t = 0; t < _n; t++)
            {
                var from = t < tiledTokens ? Math.Max(r0, tiledEnd) : r0;
                if (from < r1)
                {
                    var rows = new ReadOnlySpan<byte>(w.Data + ((long)from * w.RowBytes), (r1 - from) * w.RowBytes);
                    var kernel = t < _gemmTokens ? _gemmDot! : vecDot;
                    kernel(rows, w.RowBytes, _blockActivations!.Row(t, w.Cols), outputs.Slice((t * w.Rows) + from, r1 - from));
                }
            }
        }
    }

    /// <summary>Rows per call of a type's block dot in a batch: few enough to stay in cache across the tokens (one token takes the whole chunk in one call).</summary>
    private const int BlockDotRun = 16;

    public void Dispose()
    {
        _pool.Dispose();
        _resident?.Dispose();
    }

    /// <summary>Copies rows of a (possibly quantized) embedding matrix: ggml's GET_ROWS, through the type's dequantizer.</summary>
    public void GetRows(in WeightMatrix w, ReadOnlySpan<int> ids, Span<float> destination)
    {
        var traits = _types[w.Type];
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)w.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"token id outside the vocabulary of {w.Rows}");
            }

            traits.Dequantize(w.Row(ids[i]), destination.Slice(i * w.Cols, w.Cols));
        }
    }
}
