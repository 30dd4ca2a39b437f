namespace Parity.TestEngine;

/// <summary>
/// The names this engine gives its tensors: transformers' module names (<c>model.layers.0.self_attn.q_proj</c>), plus
/// a suffix where one module makes two tensors (<c>input_layernorm.rms_norm</c> is the norm before its weight).
/// transformers.namemap.json maps each to llama.cpp's name.
/// </summary>
internal static class TensorNames
{
    public const string Embedding = "model.embed_tokens";
    public const string FinalRmsNorm = "model.norm.rms_norm";
    public const string FinalNorm = "model.norm";
    public const string Logits = "lm_head";

    /// <summary>The capabilities answer: every name this engine writes, as anchored regular expressions.</summary>
    public static readonly string[] Patterns =
    [
        @"model\.embed_tokens",
        @"model\.layers\.\d+",
        @"model\.layers\.\d+\.(input_layernorm|post_attention_layernorm)(\.rms_norm)?",
        @"model\.layers\.\d+\.self_attn\.(q_proj|k_proj|v_proj|rotary_q|rotary_k|attn_scores|attn_weights|attn_heads|attn_output|o_proj)",
        @"model\.layers\.\d+\.attn_residual",
        @"model\.layers\.\d+\.mlp\.(gate_proj|up_proj|act|down_proj)",
        @"model\.norm(\.rms_norm)?",
        @"lm_head",
    ];

    /// <summary>The layer's output (the residual stream after the MLP): <c>model.layers.L</c>.</summary>
    public static string Layer(int il) => $"model.layers.{il}";

    /// <summary>A tensor inside layer <paramref name="il"/>: <c>model.layers.L.</c> + <paramref name="module"/>.</summary>
    public static string In(int il, string module) => $"model.layers.{il}.{module}";
}
