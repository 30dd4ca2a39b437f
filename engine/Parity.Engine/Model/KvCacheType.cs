namespace Parity.Engine.Model;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// Element types of the KV cache: of K, and of V unless <see cref="EngineOptions.ValueCache"/> says otherwise (V is F32
/// with an F32 K and F16 with every other K, the pairs llama.cpp runs without flash attention).
/// </summary>
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

    /// <summary>
    /// K (or V) in Q4_0 blocks (<c>--cache-type-k q4_0</c>), rotated by the Walsh-Hadamard transform before it is
    /// cached as a Q8_0 K is; Q is quantized to Q8_0 for <c>vec_dot_q4_0_q8_0</c>.
    /// </summary>
    Q4_0,
}
