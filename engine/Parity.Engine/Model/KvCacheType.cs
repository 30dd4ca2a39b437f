namespace Parity.Engine.Model;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// Element types of the KV cache, llama.cpp's <c>--cache-type-k</c>/<c>--cache-type-v</c>: of K, and of V unless
/// <see cref="EngineOptions.ValueCache"/> says otherwise (V is F32 with an F32 K and F16 with every other K, the pairs
/// llama.cpp runs by default). A quantized type (every one but F32, F16 and BF16) is rotated by the Walsh-Hadamard
/// transform before it is cached, as llama.cpp rotates it (<see cref="KvCacheTypes.IsQuantized"/>); each type's row of
/// the type table says how a row is stored (<c>QuantizeRow</c>), read (<c>ToFloat</c>) and multiplied
/// (<c>VecDotType</c>, <c>VecDot</c>).
/// </summary>
public enum KvCacheType
{
    /// <summary>K and V in F32.</summary>
    F32,

    /// <summary>K and V in F16 (llama.cpp's default).</summary>
    F16,

    /// <summary>Q8_0 blocks, written by the library's <c>quantize_row_q8_0</c>; Q is quantized to Q8_0 for the product.</summary>
    Q8_0,

    /// <summary>Q4_0 blocks (<c>quantize_row_q4_0_ref</c>); Q in Q8_0 blocks for <c>vec_dot_q4_0_q8_0</c>.</summary>
    Q4_0,

    /// <summary>BF16 values (<c>ggml_cpu_fp32_to_bf16</c>, round half to even); Q rounded to BF16 for <c>vec_dot_bf16</c>. Not rotated.</summary>
    BF16,

    /// <summary>Q4_1 blocks (<c>quantize_row_q4_1_ref</c>); Q in Q8_1 blocks for <c>vec_dot_q4_1_q8_1</c>.</summary>
    Q4_1,

    /// <summary>Q5_0 blocks (<c>quantize_row_q5_0_ref</c>); Q in Q8_0 blocks.</summary>
    Q5_0,

    /// <summary>Q5_1 blocks (<c>quantize_row_q5_1_ref</c>); Q in Q8_1 blocks.</summary>
    Q5_1,

    /// <summary>IQ4_NL blocks (<c>quantize_row_iq4_nl_ref</c>); Q in Q8_0 blocks for <c>vec_dot_iq4_nl_q8_0</c>.</summary>
    IQ4_NL,
}
