using Parity.Engine.Model;

namespace Parity.Engine.Kernels;

/// <summary>
/// Products of weights interleaved at load (<see cref="ResidentWeights"/>): weight rows go in groups of eight, the
/// activation rows llama.cpp's <c>forward_mul_mat</c> sends through <c>gemm</c> (all but the last n % 4) four at a
/// time, the rest one at a time through <c>gemv</c>.
/// </summary>
public sealed unsafe partial class MatMul
{
    /// <summary>
    /// Weight bytes one worker takes through the GEMM before moving on: few enough to stay in its L2 cache while every
    /// four-row tile of activations passes over them.
    /// </summary>
    private const long GemmSpanBytes = 256 * 1024;

    private readonly ResidentWeights? _resident;

    // The matrix in flight when it is interleaved: its first group and the layout's kernels.
    private byte* _groups;
    private RepackedDot.GroupKernel? _groupGemv;
    private RepackedDot.GroupKernel? _groupGemm;

    /// <summary><see cref="ChunkRows"/> rounded up to whole groups of eight rows.</summary>
    internal static int GroupChunkRows(int rows, int workers) =>
        (ChunkRows(rows, workers) + RepackedLayout.Rows - 1) / RepackedLayout.Rows * RepackedLayout.Rows;

    /// <summary>Weight rows [<paramref name="first"/>, <paramref name="end"/>) (whole groups) against every activation row.</summary>
    private void GroupRows(in WeightMatrix w, int first, int end)
    {
        var groupBytes = RepackedLayout.GroupBytes(w.Type, w.Cols);
        var g0 = first / RepackedLayout.Rows;
        var g1 = end / RepackedLayout.Rows;
        var span = (int)Math.Max(1, GemmSpanBytes / groupBytes);
        for (var s = g0; s < g1 && _gemmTokens > 0; s += span)
        {
            var count = Math.Min(span, g1 - s);
            for (var t = 0; t < _gemmTokens; t += 4)
            {
                // The four rows lie one after another, so they read as one row of 4·cols.
                var tile = _blockActivations!.Row(t / 4, 4 * w.Cols);
                _groupGemm!(_groups + (s * groupBytes), count, w.Cols, tile, _y + ((long)t * w.Rows) + (8 * s), w.Rows);
            }
        }

        for (var t = _gemmTokens; t < _n; t++)
        {
            _groupGemv!(_groups + (g0 * groupBytes), g1 - g0, w.Cols, _blockActivations!.Row(t, w.Cols), _y + ((long)t * w.Rows) + (8 * g0), w.Rows);
        }
    }
}
