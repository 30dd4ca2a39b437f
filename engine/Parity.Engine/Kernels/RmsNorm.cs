namespace Parity.Engine.Kernels;

/// <summary>
/// RMS normalization as ggml's CPU <c>rms_norm</c> evaluates it: the sum of squares accumulated in double (each
/// square rounded to float first), the mean rounded to float, then <c>1/sqrtf(mean + eps)</c> in float, and each
/// element scaled by it. The weight multiply is a separate op in llama.cpp's graph (<c>attn_norm</c> = norm * weight).
/// </summary>
public static class RmsNorm
{
    public static void Normalize(ReadOnlySpan<float> x, float eps, Span<float> destination)
    {
        var sum = 0.0;
        foreach (var v in x)
        {
            sum += v * v;
        }

        var mean = (float)(sum / x.Length);
        var scale = 1.0f / MathF.Sqrt(mean + eps);
        for (var i = 0; i < x.Length; i++)
        {
            destination[i] = x[i] * scale;
        }
    }

    /// <summary>Elementwise <c>x * weight</c> (ggml's MUL with a broadcast weight row).</summary>
    public static void MultiplyByWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> destination)
    {
        for (var i = 0; i < x.Length; i++)
        {
            destination[i] = x[i] * weight[i];
        }
    }
}
