using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Parity.Engine.Kernels;
using Parity.Gguf;

namespace Parity.Benchmarks;

/// <summary>
/// The repacked products (<see cref="RepackedDot"/>) on a 16384 × 4096 matrix: one token through the eight-row kernels
/// over the file's layout and through the GEMV over the rows interleaved at load, and four tokens through the
/// interleaved GEMM.
/// </summary>
[MemoryDiagnoser]
public unsafe class RepackedBenchmarks
{
    private WeightRows _w = null!;
    private byte* _groups;
    private sbyte[] _q8 = [];
    private float[] _scales = [];
    private short[] _sums = [];
    private float[] _y = [];

    [Params(GgmlType.Q4_0, GgmlType.Q4_K)]
    public GgmlType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _w = new WeightRows(Type, 1);
        var groupBytes = RepackedLayout.GroupBytes(Type, WeightRows.Cols);
        _groups = (byte*)NativeMemory.AlignedAlloc((nuint)(groupBytes * WeightRows.Rows / 8), 64);
        fixed (byte* rows = _w.Data)
        {
            for (var g = 0; g < WeightRows.Rows / 8; g++)
            {
                RepackedLayout.Interleave(Type, rows + ((long)g * 8 * _w.RowBytes), _w.RowBytes, _groups + (g * groupBytes));
            }
        }

        // Q4_0 reads a sum per 32 quants, Q4_K one per 16.
        var rng = new Random(2);
        var blockSize = Type == GgmlType.Q4_K ? 256 : 32;
        var sumSize = Type == GgmlType.Q4_K ? 16 : 32;
        _q8 = new sbyte[4 * WeightRows.Cols];
        _scales = new float[_q8.Length / blockSize];
        _sums = new short[_q8.Length / sumSize];
        for (var i = 0; i < _q8.Length; i++)
        {
            _q8[i] = (sbyte)rng.Next(-127, 128);
            _sums[i / sumSize] += _q8[i];
        }

        for (var i = 0; i < _scales.Length; i++)
        {
            _scales[i] = (float)(rng.NextDouble() * 0.01);
        }

        _y = new float[4 * WeightRows.Rows];
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_groups);

    /// <summary>One token, the eight-row kernels over the file's blocks.</summary>
    [Benchmark(Baseline = true)]
    public void OneTokenFileLayout()
    {
        var y = Row(WeightRows.Cols);
        if (Type == GgmlType.Q4_0)
        {
            RepackedDot.RowsQ4_0(_w.Data, _w.RowBytes, y, _y.AsSpan(0, WeightRows.Rows));
        }
        else
        {
            RepackedDot.RowsQ4_K(_w.Data, _w.RowBytes, y, _y.AsSpan(0, WeightRows.Rows));
        }
    }

    /// <summary>One token, the GEMV over the interleaved groups.</summary>
    [Benchmark]
    public void OneTokenInterleaved()
    {
        fixed (float* y = _y)
        {
            RepackedDot.GroupKernel gemv = Type == GgmlType.Q4_0 ? RepackedDot.GemvQ4_0 : RepackedDot.GemvQ4_K;
            gemv(_groups, WeightRows.Rows / 8, WeightRows.Cols, Row(WeightRows.Cols), y, WeightRows.Rows);
        }
    }

    /// <summary>Four tokens, the GEMM over the interleaved groups.</summary>
    [Benchmark]
    public void FourTokensInterleaved()
    {
        fixed (float* y = _y)
        {
            RepackedDot.GroupKernel gemm = Type == GgmlType.Q4_0 ? RepackedDot.GemmQ4_0 : RepackedDot.GemmQ4_K;
            gemm(_groups, WeightRows.Rows / 8, WeightRows.Cols, Row(4 * WeightRows.Cols), y, WeightRows.Rows);
        }
    }

    private ActivationRow Row(int length)
    {
        var blockSize = Type == GgmlType.Q4_K ? 256 : 32;
        var sumSize = Type == GgmlType.Q4_K ? 16 : 32;
        return new ActivationRow(_q8.AsSpan(0, length), _scales.AsSpan(0, length / blockSize), blockSums: _sums.AsSpan(0, length / sumSize));
    }
}
