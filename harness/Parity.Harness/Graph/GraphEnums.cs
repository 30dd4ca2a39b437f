using System.Text.Json.Serialization;

namespace Parity.Harness.Graph;

/// <summary>Which head count a packed channel dimension holds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HeadGroup>))]
public enum HeadGroup
{
    [JsonStringEnumMemberName("n_head")]
    NHead,

    [JsonStringEnumMemberName("n_head_kv")]
    NHeadKv,
}

/// <summary>
/// Which attention graph a node belongs to: llama.cpp builds kq, the softmax and kqv without flash attention, and one
/// FLASH_ATTN_EXT node with it, so the nodes around attention differ between the two.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttentionGraph>))]
public enum AttentionGraph
{
    /// <summary>Flash attention off: kq, kq_soft_max, kqv and the head merge (CONT).</summary>
    [JsonStringEnumMemberName("softmax")]
    Softmax,

    /// <summary>Flash attention on: the FLASH_ATTN_EXT node, reshaped into kqv_out.</summary>
    [JsonStringEnumMemberName("flash")]
    Flash,
}

/// <summary>A layout mistake that needs the graph to test: which tensors feed the op.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LayoutCheck>))]
public enum LayoutCheck
{
    /// <summary>The op is RoPE of its one input: is the candidate rotated with the other pairing (NEOX vs NORM)?</summary>
    [JsonStringEnumMemberName("ropePairing")]
    RopePairing,

    /// <summary>The op is Q·Kᵀ of its two inputs (queries, keys): does query head h use KV head h % n_head_kv?</summary>
    [JsonStringEnumMemberName("gqaMapping")]
    GqaMapping,
}

/// <summary>What a weight does, which sets the statistics the synthetic generator gives it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WeightRole>))]
public enum WeightRole
{
    [JsonStringEnumMemberName("embedding")]
    Embedding,

    /// <summary>The per-channel scale after an RMSNorm.</summary>
    [JsonStringEnumMemberName("channelScale")]
    ChannelScale,

    [JsonStringEnumMemberName("queryKey")]
    QueryKey,

    [JsonStringEnumMemberName("value")]
    Value,

    [JsonStringEnumMemberName("ffnIn")]
    FfnIn,

    [JsonStringEnumMemberName("residualWrite")]
    ResidualWrite,

    [JsonStringEnumMemberName("output")]
    Output,

    /// <summary>Per-pair RoPE frequency factors (Llama 3.1's scaling), computed rather than drawn.</summary>
    [JsonStringEnumMemberName("ropeFactors")]
    RopeFactors,

    /// <summary>The MoE router (<c>ffn_gate_inp</c>): one row of logit weights per expert.</summary>
    [JsonStringEnumMemberName("router")]
    Router,

    /// <summary>A bias added after a projection (Qwen2's Q, K and V biases).</summary>
    [JsonStringEnumMemberName("bias")]
    Bias,
}

/// <summary>A model dimension a weight's shape is written in, with llama.cpp's hyperparameter names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelDimension>))]
public enum ModelDimension
{
    [JsonStringEnumMemberName("n_embd")]
    NEmbd,

    /// <summary>n_head × head_dim: the width of Q and of the attention output (n_embd unless key_length says otherwise).</summary>
    [JsonStringEnumMemberName("n_embd_q")]
    NEmbdQ,

    /// <summary>head_dim (<c>n_embd_head_k</c>): one head's width, as per-head norm weights have it.</summary>
    [JsonStringEnumMemberName("head_dim")]
    HeadDim,

    /// <summary>n_head_kv × head_dim: the width of K and V.</summary>
    [JsonStringEnumMemberName("n_embd_kv")]
    NEmbdKv,

    [JsonStringEnumMemberName("n_ff")]
    NFf,

    /// <summary>The number of experts of a mixture-of-experts FFN.</summary>
    [JsonStringEnumMemberName("n_expert")]
    NExpert,

    /// <summary>One expert's FFN width (<c>expert_feed_forward_length</c>).</summary>
    [JsonStringEnumMemberName("n_ff_exp")]
    NFfExp,

    /// <summary>Two FFN widths: a fused gate and up projection (Phi-3's <c>ffn_up</c>).</summary>
    [JsonStringEnumMemberName("2*n_ff")]
    NFfTwice,

    /// <summary>n_embd_q + 2 × n_embd_kv: a fused Q, K and V projection (Phi-3's <c>attn_qkv</c>).</summary>
    [JsonStringEnumMemberName("n_embd_qkv")]
    NEmbdQkv,

    [JsonStringEnumMemberName("n_vocab")]
    NVocab,

    /// <summary>Half the rotated dimensions: one entry per RoPE pair.</summary>
    [JsonStringEnumMemberName("n_rot/2")]
    NRotHalf,
}
