namespace Parity.Engine.Kernels;

/// <summary>
/// The element-wise ops of Gemma 2's soft-capping, <c>cap · tanh(x / cap)</c>, as ggml's graph spells it: a SCALE by
/// <c>1/cap</c> (the reciprocal rounded to float first), a TANH, a SCALE by <c>cap</c>. ggml's CPU scale is one float
/// multiply per element in every variant (its vector lanes multiply exactly as the scalar tail), and its tanh calls
/// libm <c>tanhf</c> per element, which <see cref="MathF.Tanh"/> is on Linux.
/// </summary>
public static class SoftCap
{
    /// <summary><c>ggml_scale</c>: every element times <paramref name="factor"/>, in place.</summary>
    public static void Scale(Span<float> x, float factor)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] *= factor;
        }
    }

    /// <summary><c>ggml_tanh</c>: libm <c>tanhf</c> of every element, in place.</summary>
    public static void Tanh(Span<float> x)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Tanh(x[i]);
        }
    }
}
