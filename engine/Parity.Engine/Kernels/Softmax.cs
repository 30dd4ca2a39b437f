namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's <c>soft_max</c> with scale and an additive mask: <c>w = x * scale + mask</c>, minus the row maximum,
/// exponentials, the sum accumulated in double, then every element times <c>(float)(1/sum)</c>. In ggml numerics the
/// exponentials and the sum follow the AVX-512 build: <see cref="GgmlExp"/> per 16-element chunk, each chunk's
/// 16-lane reduction added to the double sum (masked cells are 0 and add nothing); otherwise libm <c>expf</c> and
/// a sequential double sum.
/// </summary>
public static class Softmax
{
    /// <summary>Row softmax where positions at or past <paramref name="visible"/> are masked (-inf, giving 0).</summary>
    public static void MaskedRow(ReadOnlySpan<float> x, float scale, int visible, Span<float> destination, bool ggml = false)
    {
        var max = float.NegativeInfinity;
        for (var i = 0; i < visible; i++)
        {
            destination[i] = x[i] * scale;
            max = MathF.Max(max, destination[i]);
        }

        var sum = 0.0;
        if (ggml)
        {
            Span<float> chunk = stackalloc float[GgmlExp.Lanes];
            for (var c = 0; c < visible; c += GgmlExp.Lanes)
            {
                chunk.Clear();
                for (var i = c; i < Math.Min(visible, c + GgmlExp.Lanes); i++)
                {
                    destination[i] = GgmlExp.Exp(destination[i] - max);
                    chunk[i - c] = destination[i];
                }

                sum += F16Dot.Reduce16(chunk);
            }
        }
        else
        {
            for (var i = 0; i < visible; i++)
            {
                var e = MathF.Exp(destination[i] - max);
                destination[i] = e;
                sum += e;
            }
        }

        var inv = (float)(1.0 / sum);
        for (var i = 0; i < visible; i++)
        {
            destination[i] *= inv;
        }

        destination[visible..x.Length].Clear();
    }
}
