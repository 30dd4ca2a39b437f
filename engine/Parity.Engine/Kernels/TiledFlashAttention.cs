using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

/// <summary>
/// ggml-cpu's tiled <c>flash_attn_ext</c> (<c>ggml_compute_forward_flash_attn_ext_tiled</c>, taken for a batch of at
/// least <see cref="QueryTile"/> tokens with K and V both F16 or both F32) for one query row. The scores are float
/// GEMMs of the F32 query against the K cells widened to float (<see cref="Dot"/>: one fused multiply-add per element in
/// head order, from 0); the cells are then taken <see cref="KvTile"/> at a time from cell 0: each tile's scores scaled
/// (soft-capped as <c>tanhf(s) · cap</c> with the scale divided by the cap first), masked cells set to -inf, the tile's
/// maximum, the running state rescaled by libm <c>expf(M_old − M_new)</c> when it rises, the tile's exponentials and
/// their sum as ggml's <c>ggml_vec_soft_max_f32</c> computes them (the variant's <c>ggml_v_expf</c> and chunk sums, in
/// double), <c>S = (float)(S + sum)</c>, and V (widened to float) accumulated by one fused multiply-add per cell and
/// value in cell order, as <c>simd_gemm</c> does per element. The row is divided by <c>S</c> at the end.
/// Each row's values depend on neither the query tiling nor the thread split: ggml's GEMMs compute every element
/// on its own, and a tile row with no attended cell adds nothing.
/// </summary>
public static class TiledFlashAttention
{
    /// <summary>The signature of <see cref="Row"/>: one query row of the tiled path.</summary>
    public delegate void RowKernel(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, VariantKernels ggml, Span<float> tile, Span<float> accumulator, Span<float> output);

    /// <summary>ggml's <c>GGML_FA_TILE_Q</c>: query rows per tile, and the smallest batch that takes the tiled path.</summary>
    public const int QueryTile = 64;

    /// <summary>ggml's <c>GGML_FA_TILE_KV</c>: cells per tile (the length of each softmax call).</summary>
    public const int KvTile = 64;

    /// <summary>
    /// One score as <c>simd_gemm</c> computes an element of Q·Kᵀ (the scalar reference): <c>acc = fma(q[d], k[d], acc)</c>
    /// for d in order from <c>acc = 0</c>.
    /// </summary>
    public static float Dot(ReadOnlySpan<float> q, ReadOnlySpan<float> k)
    {
        var acc = 0.0f;
        for (var d = 0; d < q.Length; d++)
        {
            acc = MathF.FusedMultiplyAdd(q[d], k[d], acc);
        }

        return acc;
    }

    /// <summary>
    /// Scores for <paramref name="scores"/>.Length cells at once against a key tile stored transposed
    /// (<paramref name="keysT"/>[d * <paramref name="tileStride"/> + j] is cell j's element d), as ggml packs its K tile:
    /// each lane is its own <see cref="Dot"/> chain, so the vector width changes no value.
    /// </summary>
    public static void Dots(ReadOnlySpan<float> q, ReadOnlySpan<float> keysT, int tileStride, Span<float> scores)
    {
        var cells = scores.Length;
        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + Vector256<float>.Count <= cells; j += Vector256<float>.Count)
            {
                var acc = Vector256<float>.Zero;
                for (var d = 0; d < q.Length; d++)
                {
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(q[d]), Vector256.Create(keysT.Slice((d * tileStride) + j, Vector256<float>.Count)), acc);
                }

                acc.CopyTo(scores[j..]);
            }
        }

        for (; j < cells; j++)
        {
            var acc = 0.0f;
            for (var d = 0; d < q.Length; d++)
            {
                acc = MathF.FusedMultiplyAdd(q[d], keysT[(d * tileStride) + j], acc);
            }

            scores[j] = acc;
        }
    }

    /// <summary>
    /// One row: <paramref name="output"/>[d] = Σ_j p_j · V_j[d] over cells [<paramref name="first"/>,
    /// <paramref name="end"/>), from the raw scores <paramref name="dots"/> (<see cref="Dot"/>, one per cell), V_j read
    /// at <c>values[j * stride + offset ..]</c>.
    /// </summary>
    /// <param name="ggml">The library variant whose <c>ggml_vec_soft_max_f32</c> (exp and chunk sums) to follow.</param>
    /// <param name="tile">Scratch of <see cref="KvTile"/> floats.</param>
    /// <param name="accumulator">Scratch of at least <paramref name="output"/>'s length.</param>
    public static void Row(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, VariantKernels ggml, Span<float> tile, Span<float> accumulator, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(ggml);
        if (softCap != 0)
        {
            scale /= softCap;
        }

        var acc = accumulator[..output.Length];
        acc.Clear();
        var m = float.NegativeInfinity;
        var sum = 0.0f;

        // Tiles wholly before the first or past the last attended cell are all -inf, which ggml skips.
        for (var start = first - (first % KvTile); start < end; start += KvTile)
        {
            var cells = Math.Min(KvTile, dots.Length - start);
            var scores = tile[..KvTile];
            var tileMax = Scores(dots, start, first, end, scale, softCap, scores);
            if (tileMax == float.NegativeInfinity)
            {
                continue;
            }

            var mNew = MathF.Max(m, tileMax);
            if (mNew > m)
            {
                var ms = MathF.Exp(m - mNew);
                Scale(acc, ms);
                sum *= ms;
            }

            m = mNew;
            sum = (float)(sum + Exponentials(scores, m, ggml));
            for (var j = 0; j < cells; j++)
            {
                MultiplyAdd(acc, values.Slice(((start + j) * stride) + offset, acc.Length), scores[j]);
            }
        }

        FlashAttention.Normalize(acc, sum, output);
    }

    /// <summary>
    /// One tile's scores in place of ggml's KQ row: <c>dot · scale</c>, soft-capped, plus the mask (0 for an attended
    /// cell, -inf otherwise, including the cells past the cache); returns the tile's maximum.
    /// </summary>
    private static float Scores(ReadOnlySpan<float> dots, int start, int first, int end, float scale, float softCap, Span<float> scores)
    {
        var max = float.NegativeInfinity;
        for (var j = 0; j < scores.Length; j++)
        {
            var cell = start + j;
            if (cell < first || cell >= end)
            {
                scores[j] = float.NegativeInfinity;
                continue;
            }

            var s = dots[cell] * scale;
            if (softCap != 0)
            {
                s = MathF.Tanh(s) * softCap;
            }

            s += 0.0f;
            scores[j] = s;
            max = MathF.Max(max, s);
        }

        return max;
    }

    /// <summary>
    /// <c>ggml_vec_soft_max_f32</c> over the tile in place: each value becomes <c>exp(x − max)</c> (the variant's vector
    /// exp per chunk of its width, aligned to the tile; -inf gives 0), each chunk's reduction added to a double sum.
    /// </summary>
    private static double Exponentials(Span<float> scores, float max, VariantKernels ggml)
    {
        var lanes = ggml.ExpLanes;
        var sum = 0.0;
        for (var c = 0; c < scores.Length; c += lanes)
        {
            var chunk = scores.Slice(c, lanes);
            for (var i = 0; i < lanes; i++)
            {
                chunk[i] = chunk[i] == float.NegativeInfinity ? 0.0f : ggml.Exp(chunk[i] - max);
            }

            sum += ggml.ChunkSum(chunk);
        }

        return sum;
    }

    private static void Scale(Span<float> acc, float factor)
    {
        for (var d = 0; d < acc.Length; d++)
        {
            acc[d] *= factor;
        }
    }

    private static void MultiplyAdd(Span<float> acc, ReadOnlySpan<float> v, float p)
    {
        var d = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var pv = Vector256.Create(p);
            for (; d + Vector256<float>.Count <= acc.Length; d += Vector256<float>.Count)
            {
                Vector256.FusedMultiplyAdd(Vector256.Create(v.Slice(d, Vector256<float>.Count)), pv, Vector256.Create((ReadOnlySpan<float>)acc.Slice(d, Vector256<float>.Count))).CopyTo(acc[d..]);
            }
        }

        for (; d < acc.Length; d++)
        {
            acc[d] = MathF.FusedMultiplyAdd(v[d], p, acc[d]);
        }
    }
}
