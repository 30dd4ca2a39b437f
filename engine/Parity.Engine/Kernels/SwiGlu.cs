namespace Parity.Engine.Kernels;

/// <summary>
/// SwiGLU: <c>silu(gate) * up</c> with <c>silu(x) = x / (1 + exp(-x))</c>. In ggml numerics each row's vector chunks
/// use the library variant's <c>ggml_v_expf</c> (<see cref="VariantKernels"/>) and the remainder libm <c>expf</c>;
/// otherwise libm throughout (ggml's scalar definition).
/// </summary>
public static class SwiGlu
{
    /// <param name="ggml">The variant whose order to follow; null for libm throughout.</param>
    public static void Apply(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> destination, int rowLength = 0, VariantKernels? ggml = null)
    {
        var vectorized = ggml is not null && rowLength > 0 ? rowLength - (rowLength % ggml.ExpLanes) : 0;
        for (var i = 0; i < gate.Length; i++)
        {
            var g = gate[i];
            var e = ggml is not null && i % rowLength < vectorized ? ggml.Exp(0 - g) : MathF.Exp(-g);
            destination[i] = g / (1.0f + e) * up[i];
        }
    }
}
