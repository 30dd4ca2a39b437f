using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

/// <summary>
/// ggml-cpu's <c>flash_attn_ext</c> for one query row (one head of one token), as its one-chunk path computes it: an
/// online softmax over the attended cells in cell order, each score <c>s = dot · scale</c> (soft-capped as
/// <c>cap · tanhf(s)</c> with the scale divided by the cap first), the running maximum <c>M</c> and sum <c>S</c>
/// updated per cell with libm <c>expf</c> (<see cref="MathF.Exp"/>), V accumulated in half precision for an F16 V cache
/// and in float otherwise, and the row divided by <c>S</c> at the end. The dot products are the caller's (each is
/// ggml's <c>vec_dot</c> of the K type against Q converted to its vec_dot type, independent of the others), given in
/// <c>dots</c>. Masked cells are skipped, as ggml skips a cell whose mask is -inf, so the KV padding adds nothing.
/// The vector kernel takes the cells in blocks: the block's weights and rescale factors first (one <c>expf</c> each, in
/// cell order), then the values with the accumulator held in registers across the block's cells
/// (<see cref="FlashAttentionValues"/>); each value sees the same products, fused multiply-adds and roundings to half as
/// in <see cref="AccumulateScalar"/>, the reference.
/// </summary>
public static class FlashAttention
{
    // Cells whose weights are computed before their values are accumulated (two small stack buffers).
    private const int Block = 256;

    /// <summary>The signature of <see cref="Row"/>: one query row of flash attention.</summary>
    public delegate void RowKernel(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, bool halfAccumulator, Span<float> accumulator, Span<float> output);

    /// <summary>
    /// One row: <paramref name="output"/>[d] = Σ_j p_j · V_j[d] over cells [<paramref name="first"/>,
    /// <paramref name="end"/>), V_j read at <c>values[j * stride + offset ..]</c>.
    /// </summary>
    /// <param name="halfAccumulator">
    /// ggml's F16 V path (<c>VKQ16</c>): the accumulator is rounded to half after every update
    /// (<c>ggml_vec_scale_f16</c>, <c>ggml_vec_mad_f16</c>: widen, one fused multiply-add, narrow); otherwise
    /// <c>VKQ32</c> with fused multiply-adds (<c>ggml_vec_mad_f32</c>).
    /// </param>
    /// <param name="accumulator">Scratch of at least <paramref name="output"/>'s length.</param>
    public static void Row(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, bool halfAccumulator, Span<float> accumulator, Span<float> output)
    {
        var (_, sum) = Accumulate(dots, first, end, scale, softCap, values, stride, offset, halfAccumulator, accumulator[..output.Length]);
        Normalize(accumulator, sum, output);
    }

    /// <summary>
    /// The online softmax over cells [<paramref name="first"/>, <paramref name="end"/>) without the final division:
    /// the running maximum and sum, and the unnormalized accumulator (widened from half when
    /// <paramref name="halfAccumulator"/>). <c>M</c> is -inf and <c>S</c> 0 when no cell is attended.
    /// </summary>
    public static (float Max, float Sum) Accumulate(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, bool halfAccumulator, Span<float> accumulator)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            return AccumulateScalar(dots, first, end, scale, softCap, values, stride, offset, halfAccumulator, accumulator);
        }

        if (softCap != 0)
        {
            scale /= softCap;
        }

        accumulator.Clear();
        var m = float.NegativeInfinity;
        var sum = 0.0f;
        Span<float> weights = stackalloc float[Block];
        Span<float> rescales = stackalloc float[Block];
        for (var b = first; b < end; b += Block)
        {
            var count = Math.Min(Block, end - b);
            (m, sum) = Softmax(dots.Slice(b, count), scale, softCap, m, sum, weights, rescales);
            FlashAttentionValues.Accumulate(accumulator, values[((b * stride) + offset)..], stride, weights[..count], rescales[..count], halfAccumulator);
        }

        return (m, sum);
    }

    /// <summary>
    /// <see cref="Accumulate"/> one cell and one value at a time, as ggml's loop reads: the reference for the vector kernel.
    /// </summary>
    public static (float Max, float Sum) AccumulateScalar(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, bool halfAccumulator, Span<float> accumulator)
    {
        if (softCap != 0)
        {
            scale /= softCap;
        }

        var dv = accumulator.Length;
        accumulator.Clear();
        var m = float.NegativeInfinity;
        var sum = 0.0f;
        for (var j = first; j < end; j++)
        {
            var (ms, vs) = Cell(dots[j], scale, softCap, ref m);
            if (ms != 1.0f)
            {
                ScaleAccumulator(accumulator, ms, halfAccumulator);
            }

            MultiplyAdd(accumulator, values.Slice((j * stride) + offset, dv), vs, halfAccumulator);

            // Two roundings: ggml's S*ms and the add are separate instructions in the library.
            sum = (sum * ms) + vs;
        }

        return (m, sum);
    }

    /// <summary>The row divided by the sum: every value times <c>1/S</c> (0 when S is 0), as <c>ggml_vec_scale_f32</c>.</summary>
    public static void Normalize(ReadOnlySpan<float> accumulator, float sum, Span<float> output)
    {
        var inv = sum == 0.0f ? 0.0f : 1.0f / sum;
        for (var d = 0; d < output.Length; d++)
        {
            output[d] = accumulator[d] * inv;
        }
    }

    /// <summary>
    /// ggml's split-KV reduction (<c>ggml_flash_attn_ext_reduce_partials</c>): chunk partials (maximum, sum,
    /// unnormalized float accumulator) merged in chunk order, a chunk with sum 0 skipped, then divided by the sum.
    /// The accumulator update is <c>fma(final, scaleOld, chunk · scaleNew)</c>, as the library contracts it.
    /// </summary>
    public static void MergeChunk(ref float m, ref float sum, Span<float> final, float chunkMax, float chunkSum, ReadOnlySpan<float> chunk)
    {
        if (chunkSum == 0.0f)
        {
            return;
        }

        var mNew = MathF.Max(m, chunkMax);
        var scaleOld = MathF.Exp(m - mNew);
        var scaleNew = MathF.Exp(chunkMax - mNew);
        for (var d = 0; d < final.Length; d++)
        {
            final[d] = MathF.FusedMultiplyAdd(final[d], scaleOld, chunk[d] * scaleNew);
        }

        sum = MathF.FusedMultiplyAdd(sum, scaleOld, chunkSum * scaleNew);
        m = mNew;
    }

    /// <summary>
    /// One cell of the online softmax: the score <c>dot · scale</c> (soft-capped), and either a new maximum (the factor
    /// <c>ms = expf(M_old − M)</c> for what was accumulated, weight 1) or the weight <c>vs = expf(s − M)</c> (factor 1).
    /// A factor of exactly 1 leaves the accumulator as it is, so the kernels skip that rescale.
    /// </summary>
    private static (float Ms, float Vs) Cell(float dot, float scale, float softCap, ref float m)
    {
        var s = dot * scale;
        if (softCap != 0)
        {
            s = softCap * MathF.Tanh(s);
        }

        // The causal mask's 0 for an attended cell (slope 1: no ALiBi).
        s += 0.0f;
        if (s > m)
        {
            var mOld = m;
            m = s;
            return (MathF.Exp(mOld - m), 1.0f);
        }

        return (1.0f, MathF.Exp(s - m));
    }

    /// <summary>The online softmax over a block of cells: each cell's weight and rescale factor, the running maximum and sum.</summary>
    private static (float Max, float Sum) Softmax(ReadOnlySpan<float> dots, float scale, float softCap, float m, float sum, Span<float> weights, Span<float> rescales)
    {
        for (var i = 0; i < dots.Length; i++)
        {
            var (ms, vs) = Cell(dots[i], scale, softCap, ref m);
            weights[i] = vs;
            rescales[i] = ms;
            sum = (sum * ms) + vs;
        }

        return (m, sum);
    }

    private static void ScaleAccumulator(Span<float> acc, float factor, bool half)
    {
        for (var d = 0; d < acc.Length; d++)
        {
            var x = acc[d] * factor;
            acc[d] = half ? (float)(Half)x : x;
        }
    }

    private static void MultiplyAdd(Span<float> acc, ReadOnlySpan<float> v, float factor, bool half)
    {
        for (var d = 0; d < acc.Length; d++)
        {
            var x = MathF.FusedMultiplyAdd(v[d], factor, acc[d]);
            acc[d] = half ? (float)(Half)x : x;
        }
    }
}
