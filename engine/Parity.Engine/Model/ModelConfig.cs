namespace Parity.Engine.Model;

/// <summary>How rotary embeddings pair dimensions: NORM rotates (2i, 2i+1), NEOX rotates (i, i + n_rot/2).</summary>
public enum RopeMode
{
    Norm = 0,
    Neox = 2,
}

/// <summary>
/// Hyperparameters of a decoder-only transformer, immutable, with llama.cpp's names. An architecture unit
/// (<see cref="Architectures.IArchitecture"/>) reads them from GGUF metadata with its own defaults.
/// </summary>
public sealed record ModelConfig
{
    /// <summary><c>general.architecture</c>: the unit that read this config and builds the graph.</summary>
    public required string Architecture { get; init; }

    public required int NEmbd { get; init; }            // residual width

    public required int NLayer { get; init; }

    public required int NHead { get; init; }            // query heads

    public required int NHeadKv { get; init; }          // key/value heads (GQA when < NHead)

    /// <summary><c>attention.key_length</c> (= value_length here): n_embd / n_head unless the file says otherwise.</summary>
    public required int HeadDim { get; init; }

    public required int NFf { get; init; }              // feed-forward width

    public required int NVocab { get; init; }

    public required int NCtxTrain { get; init; }

    public required float RmsEps { get; init; }

    public required float RopeFreqBase { get; init; }

    public required float RopeFreqScale { get; init; }

    public required int NRot { get; init; }             // rotated dimensions per head

    public RopeMode RopeMode { get; init; } = RopeMode.Norm;

    /// <summary>The kq scale: <c>attention.scale</c> when the file has one, else 1/sqrt(head_dim) as llama.cpp.</summary>
    public required float AttentionScale { get; init; }

    /// <summary><c>expert_count</c>: experts of a mixture-of-experts FFN; 0 for a dense FFN.</summary>
    public int ExpertCount { get; init; }

    /// <summary><c>expert_used_count</c>: experts each token is routed to.</summary>
    public int ExpertUsedCount { get; init; }

    /// <summary><c>expert_feed_forward_length</c>: one expert's FFN width.</summary>
    public int NFfExp { get; init; }

    /// <summary>
    /// A factor Q is multiplied by after RoPE, before attention (a SCALE node: Gemma's query scaling, with
    /// <see cref="AttentionScale"/> then 1); 1 for none.
    /// </summary>
    public float QueryScale { get; init; } = 1.0f;

    /// <summary>Sliding-window attention (Gemma): the positions a sliding layer's query attends, itself included; 0 for none.</summary>
    public int SlidingWindow { get; init; }

    /// <summary>Which layers slide (<c>attention.sliding_window_pattern</c>); empty when none does.</summary>
    public IReadOnlyList<bool> SlidingLayers { get; init; } = [];

    /// <summary>RoPE base and scale of the sliding layers (Gemma 3's local base 10000); the global ones elsewhere.</summary>
    public float RopeFreqBaseSwa { get; init; } = 10000f;

    public float RopeFreqScaleSwa { get; init; } = 1.0f;

    /// <summary>Gemma 2's soft-caps, <c>cap · tanh(x / cap)</c>, of the attention scores and of the logits; 0 for none.</summary>
    public float AttnLogitSoftcapping { get; init; }

    public float FinalLogitSoftcapping { get; init; }

    /// <summary>Whether layer <paramref name="il"/> attends through the sliding window.</summary>
    public bool IsSliding(int il) => il < SlidingLayers.Count && SlidingLayers[il];

    /// <summary>Query width: n_head * head_dim (equal to n_embd for most models, not for all).</summary>
    public int NEmbdQ => HeadDim * NHead;

    public int NEmbdKv => HeadDim * NHeadKv;

    public int Group => NHead / NHeadKv;
}
