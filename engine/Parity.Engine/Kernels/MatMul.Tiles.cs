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
}
