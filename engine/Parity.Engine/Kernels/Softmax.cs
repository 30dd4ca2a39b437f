namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's <c>soft_max</c> with scale and an additive mask: <c>w = x * scale + mask</c>, minus the row maximum,
/// <c>expf</c>, the sum accumulated in double, then every element times <c>(float)(1/sum)</c>.
/// </summary>
public static class Softmax
{
    /// <summary>Row softmax where positions at or past <paramref name="visible"/> are masked (-inf, giving 0).</summary>
    public static void MaskedRow(ReadOnlySpan<float> x, float scale, int visible, Span<float> destination)
    {
        var max = float.NegativeInfinity;
        for (var i = 0; i < visible; i++)
        {
            destination[i] = x[i] * scale;
            max = MathF.Max(max, destination[i]);
        }

        var sum = 0.0;
        for (var i = 0; i < visible; i++)
        {
            var e = MathF.Exp(destination[i] - max);
            destination[i] = e;
            sum += e;
        }

        var inv = (float)(1.0 / sum);
        for (var i = 0; i < visible; i++)
        {
            destination[i] *= inv;
        }

        destination[visible..x.Length].Clear();
    }
}
