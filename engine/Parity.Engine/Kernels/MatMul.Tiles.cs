using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

/// <summary>
/// Batches in 2-row × 4-token tiles: the block-dot tiles of the quantized types and tinyBLAS tiles of the float types,
/// each pair with its row kernel's bits; tokens and rows left over go through the row kernels.
/// </summary>
public sealed unsafe partial class MatMul
{
    private const int TileRows = 2;
    private const int TileTokens = 4;

    /// <summary>
    /// Rows <paramref name="first"/>.. in tiles of 2 rows × 4 tokens through the type's tile kernel, for every whole
    /// group of 4 tokens; returns the first row it did not do (an odd last row). Tokens left over are the caller's.
    /// </summary>
    private int Tiles(in WeightMatrix w, TileKernel tile, int first, int end, Span<float> outputs)
    {
        Span<float> results = stackalloc float[TileRows * TileTokens];
        var y = _blockActivations!.Row(0, w.Cols);
        var scalesPerRow = y.Scales.Length;
        var sumsPerRow = y.BlockSums.Length;
        var r = first;
        fixed (sbyte* quants = y.Quants)
        fixed (float* scales = y.Scales)
        fixed (short* bsums = y.BlockSums)
        {
            for (; r + TileRows <= end; r += TileRows)
            {
                var row0 = w.Data + ((long)r * w.RowBytes);
                var row1 = row0 + w.RowBytes;
                for (var t = 0; t + TileTokens <= _n; t += TileTokens)
                {
                    tile(row0, row1, quants + ((long)t * w.Cols), scales + ((long)t * scalesPerRow), bsums + ((long)t * sumsPerRow), w.Cols, results);
                    for (var j = 0; j < TileTokens; j++)
                    {
                        outputs[((t + j) * w.Rows) + r] = results[2 * j];
                        outputs[((t + j) * w.Rows) + r + 1] = results[(2 * j) + 1];
                    }
                }
            }
        }

        return r;
    }

    /// <summary>
    /// ggml sends a float batch to tinyBLAS when the library has tinyBLAS for the type, its lanes divide k and m % 4 == 0
    /// (else to the type's vec_dot).
    /// </summary>
    private bool TinyBlasAccepts(in WeightMatrix w) =>
        _types.Kernels.TinyBlasAccepts(w.Cols) && w.Rows % 4 == 0 && (w.Type != GgmlType.BF16 || _types.Kernels.TinyBlasBf16);

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
                    _traits.Dequantize(w.Row(r), new Span<float>(row0, w.Cols));
                    _traits.Dequantize(w.Row(r + 1), new Span<float>(row1, w.Cols));
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
                    // The tile is the AVX-512 build's (its caller checks), so the leftover tokens take that build's order too.
                    var xt = inputs.Slice(t * w.Cols, w.Cols);
                    outputs[(t * w.Rows) + r] = F16Dot.TinyBlas(new ReadOnlySpan<float>(row0, w.Cols), 1, xt, w.Cols);
                    outputs[(t * w.Rows) + r + 1] = F16Dot.TinyBlas(new ReadOnlySpan<float>(row1, w.Cols), 1, xt, w.Cols);
                }
            }
        }

        return r;
    }
}
