namespace Parity.Engine.Model;

/// <summary>One transformer block's weights (views into the map). Shapes in ggml ne order.</summary>
public sealed record LayerWeights
{
    public required float[] AttnNorm { get; init; }       // [n_embd]

    public required WeightMatrix Wq { get; init; }        // [n_embd, n_head * head_dim]

    public required WeightMatrix Wk { get; init; }        // [n_embd, n_embd_kv]

    public required WeightMatrix Wv { get; init; }        // [n_embd, n_embd_kv]

    public float[]? Bq { get; init; }                     // [n_head * head_dim]: Qwen2's projection biases, null without

    public float[]? Bk { get; init; }                     // [n_embd_kv]

    public float[]? Bv { get; init; }                     // [n_embd_kv]

    /// <summary>The fused Q, K and V projection whose row ranges <see cref="Wq"/>, <see cref="Wk"/>, <see cref="Wv"/> are (Phi-3); null when separate.</summary>
    public WeightMatrix? Wqkv { get; init; }              // [n_embd, n_embd_q + 2 * n_embd_kv]

    /// <summary>The fused gate and up projection whose halves <see cref="FfnGate"/>, <see cref="FfnUp"/> are (Phi-3); null when separate.</summary>
    public WeightMatrix? FfnGateUp { get; init; }         // [n_embd, 2 * n_ff]

    public float[]? AttnQNorm { get; init; }              // [head_dim]: Qwen3's per-head RMSNorm weight on Q, null without

    public float[]? AttnKNorm { get; init; }              // [head_dim]

    public required WeightMatrix Wo { get; init; }        // [n_head * head_dim, n_embd]

    public required float[] FfnNorm { get; init; }        // [n_embd]

    /// <summary>The mixture-of-experts FFN (router and experts) in place of the dense one; null for a dense FFN.</summary>
    public ExpertWeights? Experts { get; init; }

    // The dense FFN (default when the layer's FFN is a mixture of experts).
    public WeightMatrix FfnGate { get; init; }   // [n_embd, n_ff]

    public WeightMatrix FfnUp { get; init; }     // [n_embd, n_ff]

    public WeightMatrix FfnDown { get; init; }   // [n_ff, n_embd]

    public float[]? AttnPostNorm { get; init; }           // [n_embd]: Gemma's norm of the attention output, null without

    public float[]? FfnPostNorm { get; init; }            // [n_embd]: Gemma's norm of the feed-forward output, null without
}

/// <summary>A mixture-of-experts FFN: the router and each expert's gate, up and down projections (views of the stacked tensors).</summary>
public sealed record ExpertWeights
{
    public required WeightMatrix Router { get; init; }              // ffn_gate_inp [n_embd, n_expert]

    public required IReadOnlyList<WeightMatrix> Gate { get; init; } // ffn_gate_exps [n_embd, n_ff_exp] per expert

    public required IReadOnlyList<WeightMatrix> Up { get; init; }   // ffn_up_exps [n_embd, n_ff_exp] per expert

    public required IReadOnlyList<WeightMatrix> Down { get; init; } // ffn_down_exps [n_ff_exp, n_embd] per expert
}
