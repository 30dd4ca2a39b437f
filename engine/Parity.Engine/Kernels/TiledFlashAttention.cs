using System.Runtime.InteropServices;
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
    /// <summary>The signature of <see cref="Row(ReadOnlySpan{float}, int, int, float, float, ReadOnlySpan{float}, int, int, VariantKernels, Span{float}, Span{float}, Span{float})"/>: one query row of the tiled path.</summary>
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
        if (Vector512.IsHardwareAccelerated)
        {
            // 64 cells a pass: four independent chains hide the fused multiply-add's latency.
            for (; j + (4 * Vector512<float>.Count) <= cells; j += 4 * Vector512<float>.Count)
            {
                Dots64(q, keysT, tileStride, j, scores);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + (4 * Vector256<float>.Count) <= cells; j += 4 * Vector256<float>.Count)
            {
                Dots32(q, keysT, tileStride, j, scores);
            }

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

    private static void Dots64(ReadOnlySpan<float> q, ReadOnlySpan<float> keysT, int tileStride, int j, Span<float> scores)
    {
        const int W = 16;
        _ = keysT[((q.Length - 1) * tileStride) + j + (4 * W) - 1];
        ref var k = ref MemoryMarshal.GetReference(keysT);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var d = 0; d < q.Length; d++)
        {
            var qd = Vector512.Create(q[d]);
            var i = (nuint)((d * tileStride) + j);
            a0 = Vector512.FusedMultiplyAdd(qd, Vector512.LoadUnsafe(ref k, i), a0);
            a1 = Vector512.FusedMultiplyAdd(qd, Vector512.LoadUnsafe(ref k, i + W), a1);
            a2 = Vector512.FusedMultiplyAdd(qd, Vector512.LoadUnsafe(ref k, i + (2 * W)), a2);
            a3 = Vector512.FusedMultiplyAdd(qd, Vector512.LoadUnsafe(ref k, i + (3 * W)), a3);
        }

        a0.CopyTo(scores[j..]);
        a1.CopyTo(scores[(j + W)..]);
        a2.CopyTo(scores[(j + (2 * W))..]);
        a3.CopyTo(scores[(j + (3 * W))..]);
    }

    private static void Dots32(ReadOnlySpan<float> q, ReadOnlySpan<float> keysT, int tileStride, int j, Span<float> scores)
    {
        const int W = 8;
        _ = keysT[((q.Length - 1) * tileStride) + j + (4 * W) - 1];
        ref var k = ref MemoryMarshal.GetReference(keysT);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var d = 0; d < q.Length; d++)
        {
            var qd = Vector256.Create(q[d]);
            var i = (nuint)((d * tileStride) + j);
            a0 = Vector256.FusedMultiplyAdd(qd, Vector256.LoadUnsafe(ref k, i), a0);
            a1 = Vector256.FusedMultiplyAdd(qd, Vector256.LoadUnsafe(ref k, i + W), a1);
            a2 = Vector256.FusedMultiplyAdd(qd, Vector256.LoadUnsafe(ref k, i + (2 * W)), a2);
            a3 = Vector256.FusedMultiplyAdd(qd, Vector256.LoadUnsafe(ref k, i + (3 * W)), a3);
        }

        a0.CopyTo(scores[j..]);
        a1.CopyTo(scores[(j + W)..]);
        a2.CopyTo(scores[(j + (2 * W))..]);
        a3.CopyTo(scores[(j + (3 * W))..]);
    }

    /// <summary>
    /// One row: <paramref name="output"/>[d] = Σ_j p_j · V_j[d] over cells [<paramref name="first"/>,
    /// <paramref name="end"/>), from the raw scores <paramref name="dots"/> (<see cref="Dot"/>, one per cell), V_j read
    /// at <c>values[j * stride + offset ..]</c>.
    /// </summary>
    /// <param name="ggml">The library variant whose <c>ggml_vec_soft_max_f32</c> (exp and chunk sums) to follow.</param>
    /// <param name="tile">Scratch of <see cref="KvTile"/> floats.</param>
    /// <param name="accumulator">Scratch of at least <paramref name="output"/>'s length.</param>
    public static void Row(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, VariantKernels ggml, Span<float> tile, Span<float> accumulator, Span<float> output) =>
        Row(dots, first, end, scale, softCap, values, stride, offset, ggml, tile, accumulator, output, Vector256.IsHardwareAccelerated);

    /// <summary><see cref="Row(ReadOnlySpan{float}, int, int, float, float, ReadOnlySpan{float}, int, int, VariantKernels, Span{float}, Span{float}, Span{float})"/> one value at a time: the reference for its vector exponentials and V accumulation.</summary>
    public static void RowScalar(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, VariantKernels ggml, Span<float> tile, Span<float> accumulator, Span<float> output) =>
        Row(dots, first, end, scale, softCap, values, stride, offset, ggml, tile, accumulator, output, vectors: false);

    private static void Row(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, VariantKernels ggml, Span<float> tile, Span<float> accumulator, Span<float> output, bool vectors)
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
            var tileMax = vectors && softCap == 0 && start + KvTile <= dots.Length
                ? ScoresVector(dots.Slice(start, KvTile), start, first, end, scale, scores)
                : Scores(dots, start, first, end, scale, softCap, scores);
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
            sum = (float)(sum + Exponentials(scores, m, ggml, vectors));
            MultiplyAddTile(acc, values, (start * stride) + offset, stride, scores[..cells], vectors);
        }

        FlashAttention.Normalize(acc, sum, output);
    }

    /// <summary>
    /// <see cref="Scores"/> without a soft-cap for a tile inside the cache, eight cells at a time: the same product, add
    /// and mask per cell, and the maximum (NaN-propagating, +0 above -0, as <see cref="MathF.Max(float, float)"/>) over
    /// lanes then across them, which is the same value in any order.
    /// </summary>
    private static float ScoresVector(ReadOnlySpan<float> dots, int start, int first, int end, float scale, Span<float> scores)
    {
        const int W = 8;
        ref var x = ref MemoryMarshal.GetReference(dots);
        ref var y = ref MemoryMarshal.GetReference(scores);
        var masked = Vector256.Create(float.NegativeInfinity);
        var max = masked;
        var cell = Vector256.Create(start) + Vector256<int>.Indices;
        for (var j = 0; j < KvTile; j += W)
        {
            var attended = Vector256.GreaterThanOrEqual(cell, Vector256.Create(first)) & Vector256.LessThan(cell, Vector256.Create(end));
            var s = (Vector256.LoadUnsafe(ref x, (nuint)j) * Vector256.Create(scale)) + Vector256<float>.Zero;
            s = Vector256.ConditionalSelect(attended.AsSingle(), s, masked);
            s.StoreUnsafe(ref y, (nuint)j);
            max = Vector256.Max(max, s);
            cell += Vector256.Create(W);
        }

        var m = max[0];
        for (var l = 1; l < W; l++)
        {
            m = MathF.Max(m, max[l]);
        }

        return m;
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
    private static double Exponentials(Span<float> scores, float max, VariantKernels ggml, bool vectors)
    {
        var i = 0;
        if (vectors)
        {
            ref var x = ref MemoryMarshal.GetReference(scores);
            var m = Vector256.Create(max);
            var masked = Vector256.Create(float.NegativeInfinity);
            for (; i + Vector256<float>.Count <= scores.Length; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref x, (nuint)i);
                Vector256.ConditionalSelect(Vector256.Equals(v, masked), Vector256<float>.Zero, ggml.Exp(v - m)).StoreUnsafe(ref x, (nuint)i);
            }
        }

        for (; i < scores.Length; i++)
        {
            scores[i] = scores[i] == float.NegativeInfinity ? 0.0f : ggml.Exp(scores[i] - max);
        }

        var lanes = ggml.ExpLanes;
        var sum = 0.0;
        for (var c = 0; c < scores.Length; c += lanes)
        {
            sum += ggml.ChunkSum(scores.Slice(c, lanes));
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

    /// <summary>
    /// <c>acc[d] = fma(V_j[d], p_j, acc[d])</c> for the cells j of a tile in order (V_j at
    /// <c>values[start + j * stride ..]</c>); 64 (or 32) values at a time are kept in registers across the cells, each lane's
    /// chain the same as one cell after another.
    /// </summary>
    private static void MultiplyAddTile(Span<float> acc, ReadOnlySpan<float> values, int start, int stride, ReadOnlySpan<float> p, bool vectors)
    {
        var d = 0;
        if (vectors && p.Length > 0)
        {
            _ = values[start + ((p.Length - 1) * stride) + acc.Length - 1];
            if (Vector512.IsHardwareAccelerated)
            {
                for (; d + (4 * Vector512<float>.Count) <= acc.Length; d += 4 * Vector512<float>.Count)
                {
                    Columns512x4(acc, values, start, stride, p, d);
                }
            }

            for (; d + (4 * Vector256<float>.Count) <= acc.Length; d += 4 * Vector256<float>.Count)
            {
                Columns256x4(acc, values, start, stride, p, d);
            }
        }

        for (; d < acc.Length; d++)
        {
            var x = acc[d];
            for (var j = 0; j < p.Length; j++)
            {
                x = MathF.FusedMultiplyAdd(values[start + (j * stride) + d], p[j], x);
            }

            acc[d] = x;
        }
    }

    private static void Columns512x4(Span<float> acc, ReadOnlySpan<float> values, int start, int stride, ReadOnlySpan<float> p, int d)
    {
        const int W = 16;
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var a = ref MemoryMarshal.GetReference(acc);
        var a0 = Vector512.LoadUnsafe(ref a, (nuint)d);
        var a1 = Vector512.LoadUnsafe(ref a, (nuint)(d + W));
        var a2 = Vector512.LoadUnsafe(ref a, (nuint)(d + (2 * W)));
        var a3 = Vector512.LoadUnsafe(ref a, (nuint)(d + (3 * W)));
        for (var j = 0; j < p.Length; j++)
        {
            var pj = Vector512.Create(p[j]);
            var i = (nuint)(start + (j * stride) + d);
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i), pj, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i + W), pj, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i + (2 * W)), pj, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i + (3 * W)), pj, a3);
        }

        a0.StoreUnsafe(ref a, (nuint)d);
        a1.StoreUnsafe(ref a, (nuint)(d + W));
        a2.StoreUnsafe(ref a, (nuint)(d + (2 * W)));
        a3.StoreUnsafe(ref a, (nuint)(d + (3 * W)));
    }

    private static void Columns256x4(Span<float> acc, ReadOnlySpan<float> values, int start, int stride, ReadOnlySpan<float> p, int d)
    {
        const int W = 8;
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var a = ref MemoryMarshal.GetReference(acc);
        var a0 = Vector256.LoadUnsafe(ref a, (nuint)d);
        var a1 = Vector256.LoadUnsafe(ref a, (nuint)(d + W));
        var a2 = Vector256.LoadUnsafe(ref a, (nuint)(d + (2 * W)));
        var a3 = Vector256.LoadUnsafe(ref a, (nuint)(d + (3 * W)));
        for (var j = 0; j < p.Length; j++)
        {
            var pj = Vector256.Create(p[j]);
            var i = (nuint)(start + (j * stride) + d);
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, i), pj, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, i + W), pj, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, i + (2 * W)), pj, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, i + (3 * W)), pj, a3);
        }

        a0.StoreUnsafe(ref a, (nuint)d);
        a1.StoreUnsafe(ref a, (nuint)(d + W));
        a2.StoreUnsafe(ref a, (nuint)(d + (2 * W)));
        a3.StoreUnsafe(ref a, (nuint)(d + (3 * W)));
    }
}
