namespace Parity.Engine.Kernels;

/// <summary>
/// SwiGLU: <c>silu(gate) * up</c> with <c>silu(x) = x / (1 + exp(-x))</c>. In ggml numerics each row's 16-element
/// chunks use <see cref="GgmlExp"/> as the AVX-512 build does and the remainder libm <c>expf</c>; otherwise libm
/// throughout (ggml's scalar definition).
/// </summary>
public static class SwiGlu
{
    public static void Apply(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> destination, int rowLength = 0, bool ggml = false)
    {
        var vectorized = ggml && rowLength > 0 ? rowLength - (rowLength % GgmlExp.Lanes) : 0;
        for (var i = 0; i < gate.Length; i++)
        {
            var g = gate[i];
            var e = ggml && rowLength > 0 && i % rowLength < vectorized ? GgmlExp.Exp(0 - g) : MathF.Exp(-g);
            destination[i] = g / (1.0f + e) * up[i];
        }
    }
}
