using BenchmarkDotNet.Attributes;
using Parity.Engine.Kernels;
using Parity.Gguf;

namespace Parity.Benchmarks;

/// <summary>
/// The engine's ggml-order product kernels on a 16384 × 4096 matrix: one token against every row (the generation path,
/// memory-bound) and four tokens through the 2 × 4 tiles (the prompt path, compute-bound). The throughput columns
/// give GB/s of weights read and G multiply-accumulates/s.
/// </summary>
[MemoryDiagnoser]
public unsafe class KernelBenchmarks
{
    private WeightRows _w = null!;
    private float[] _x = [];
    private float[] _xScaled = [];
    private sbyte[] _q8 = [];
    private float[] _d8 = [];
    private short[] _bsums = [];
    private float[] _scratch = [];
    private float[] _y = [];
    private float[] _rowsAsFloat = [];

    [Params(GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16)]
    public GgmlType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _w = new WeightRows(Type, 1);
        var rng = new Random(2);
        _x = new float[4 * WeightRows.Cols];
        for (var i = 0; i < _x.Length; i++)
        {
            _x[i] = (float)(Half)((rng.NextDouble() - 0.5) * 2);
        }

        _xScaled = new float[WeightRows.Cols];
        F16RowDot.ScaleX(_x.AsSpan(0, WeightRows.Cols), _xScaled);
        var blocks = Type is GgmlType.Q4_K or GgmlType.Q6_K ? 256 : 32;
        _q8 = new sbyte[_x.Length];
        _d8 = new float[_x.Length / blocks];
        _bsums = new short[_x.Length / 16];
        for (var i = 0; i < _q8.Length; i++)
        {
            _q8[i] = (sbyte)rng.Next(-127, 128);
        }

        for (var i = 0; i < _d8.Length; i++)
        {
            _d8[i] = (float)(rng.NextDouble() * 0.01);
        }

        for (var g = 0; g < _bsums.Length; g++)
        {
            var sum = 0;
            for (var j = 0; j < 16; j++)
            {
                sum += _q8[(16 * g) + j];
            }

            _bsums[g] = (short)sum;
        }

        _scratch = new float[WeightRows.Cols];
        _y = new float[4 * WeightRows.Rows];
        _rowsAsFloat = new float[2 * WeightRows.Cols];
    }

    /// <summary>One token: every row through the type's single-token kernel.</summary>
    [Benchmark]
    public float OneToken()
    {
        var cols = WeightRows.Cols;
        var blocks32 = cols / 32;
        var blocks256 = cols / 256;
        for (var r = 0; r < WeightRows.Rows; r++)
        {
            var row = _w.Data.AsSpan(r * _w.RowBytes, _w.RowBytes);
            _y[r] = Type switch
            {
                GgmlType.Q4_0 or GgmlType.Q8_0 => Q8_0Dot.Row(Type, row, _q8.AsSpan(0, cols), _d8.AsSpan(0, blocks32)),
                GgmlType.Q4_K => Q4KDot.Row(row, _q8.AsSpan(0, cols), _d8.AsSpan(0, blocks256), _bsums.AsSpan(0, cols / 16)),
                GgmlType.Q6_K => Q6KDot.Row(row, _q8.AsSpan(0, cols), _d8.AsSpan(0, blocks256), _bsums.AsSpan(0, cols / 16)),
                _ => F16RowDot.Dot(row, _x.AsSpan(0, cols), _xScaled, _scratch),
            };
        }

        return _y[0];
    }

    /// <summary>Four tokens: every pair of rows through the type's 2 × 4 tile (F16 rows converted first, as MatMul does).</summary>
    [Benchmark]
    public float FourTokens()
    {
        var cols = WeightRows.Cols;
        Span<float> tile = stackalloc float[8];
        fixed (byte* w = _w.Data)
        fixed (sbyte* q = _q8)
        fixed (float* d = _d8)
        fixed (short* bs = _bsums)
        fixed (float* x = _x)
        fixed (float* f = _rowsAsFloat)
        {
            for (var r = 0; r < WeightRows.Rows; r += 2)
            {
                var row0 = w + ((long)r * _w.RowBytes);
                var row1 = row0 + _w.RowBytes;
                switch (Type)
                {
                    case GgmlType.Q4_0 or GgmlType.Q8_0:
                        GgmlTypeTable.Default[Type].Tile!(row0, row1, q, d, null, cols, tile);
                        break;
                    case GgmlType.Q4_K:
                        Q4KDot.Tile(row0, row1, q, d, bs, cols, tile);
                        break;
                    case GgmlType.Q6_K:
                        Q6KDot.Tile(row0, row1, q, d, bs, cols, tile);
                        break;
                    default:
                        Dequantize.Row(GgmlType.F16, new ReadOnlySpan<byte>(row0, _w.RowBytes), new Span<float>(f, cols));
                        Dequantize.Row(GgmlType.F16, new ReadOnlySpan<byte>(row1, _w.RowBytes), new Span<float>(f + cols, cols));
                        F16Dot.TinyBlasTile(f, f + cols, x, cols, cols, tile);
                        break;
                }

                _y[r] = tile[0];
                _y[r + 1] = tile[1];
            }
        }

        return _y[0];
    }
}
