namespace Parity.Engine.Model;

/// <summary>How the engine rounds inside matrix products.</summary>
public enum NumericsMode
{
    /// <summary>Dequantize weights and compute in float: what the quantized weights mean.</summary>
    F32,

    /// <summary>
    /// Round activations the way ggml's CPU backend does before each product (to the weight type's <c>vec_dot_type</c>:
    /// Q8_0 or Q8_1 blocks for the 32-element types, Q8_K for the K-quants, F16 or BF16 for half weights), so the
    /// remaining difference from llama.cpp is summation order, not rounding.
    /// </summary>
    Ggml,
}
