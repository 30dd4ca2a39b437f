namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's <c>soft_max</c> with scale and an additive mask: <c>w = x * scale + mask</c>, minus the row maximum,
/// exponentials, the sum accumulated in double, then every element times <c>(float)(1/sum)</c>. In ggml numerics the
/// exponentials and the sum follow a library variant (<see cref="VariantKernels"/>): its <c>ggml_v_expf</c> per chunk
/// of its vector width, each chunk's reduction added to the double sum (masked cells are 0 and add nothing, and
/// llama.cpp pads the row to a whole number of chunks, so no cell goes through libm); otherwise libm <c>expf</c> and
/// a sequential double sum.
/// </summary>
public static class Softmax
{
    /// <summary>Row softmax where positions at or past <paramref name="visible"/> are masked (-inf, giving 0).</summary>
    /// <param name="ggml">The variant whose order to follow; null for libm and a sequential sum.</param>
    public static void MaskedRow(ReadOnlySpan<float> x, float scale, int visible, Span<float> destination, VariantKernels? ggml = null) =>
        MaskedRow(x, scale, 0, visible, destination, ggml);

    /// <summary>
    /// Row softmax over the window [<paramref name="first"/>, <paramref name="visible"/>): cells before it (a sliding
    /// window's mask) and at or past it are 0. The vector chunks stay aligned to cell 0, as ggml's row is, so a masked
    /// cell inside a chunk adds its 0 in its lane.
    /// </summary>
    public static void MaskedRow(ReadOnlySpan<float> x, float scale, int first, int visible, Span<float> destination, VariantKernels? ggml = null)
    {
        var max = float.NegativeInfinity;
        for (var i = first; i < visible; i++)
        {
            destination[i] = x[i] * scale;
            max = MathF.Max(max, destination[i]);
        }

        destination[..first].Clear();
        var sum = ggml is null ? LibmExponentials(destination[first..visible], max) : VariantExponentials(ggml, destination[..visible], first, max);
        var inv = (float)(1.0 / sum);
        for (var i = first; i < visible; i++)
        {
            destination[i] *= inv;
        }

        destination[visible..x.Length].Clear();
    }

    private static double VariantExponentials(VariantKernels ggml, Span<float> row, int first, float max)
    {
        var lanes = ggml.ExpLanes;
        Span<float> chunk = stackalloc float[lanes];
        var sum = 0.0;
        for (var c = first - (first % lanes); c < row.Length; c += lanes)
        {
            chunk.Clear();
            for (var i = Math.Max(c, first); i < Math.Min(row.Length, c + lanes); i++)
            {
                row[i] = ggml.Exp(row[i] - max);
                chunk[i - c] = row[i];
            }

            sum += ggml.ChunkSum(chunk);
        }

        return sum;
    }

    private static double LibmExponentials(Span<float> row, float max)
    {
        var sum = 0.0;
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = MathF.Exp(row[i] - max);
            sum += row[i];
        }

        return sum;
    }
}
