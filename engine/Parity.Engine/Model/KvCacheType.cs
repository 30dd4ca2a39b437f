namespace Parity.Engine.Model;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>Element types of the KV cache.</summary>
public enum KvCacheType
{
    /// <summary>K and V in F32.</summary>
    F32,

    /// <summary>K and V in F16 (llama.cpp's default).</summary>
    F16,

    /// <summary>
    /// K in Q8_0 blocks, V in F16 (llama.cpp's <c>--cache-type-k q8_0</c>; a quantized V needs flash attention there).
    /// Q and K are rotated by a Walsh-Hadamard transform before K is cached, as llama.cpp does for a quantized K.
    /// </summary>
    Q8_0,
}
