namespace Parity.Engine.Kernels;

/// <summary>SwiGLU: <c>silu(gate) * up</c> with <c>silu(x) = x / (1 + expf(-x))</c> (ggml's scalar definition).</summary>
public static class SwiGlu
{
    public static void Apply(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> destination)
    {
        for (var i = 0; i < gate.Length; i++)
        {
            var g = gate[i];
            destination[i] = g / (1.0f + MathF.Exp(-g)) * up[i];
        }
    }
}
