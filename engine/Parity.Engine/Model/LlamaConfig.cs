using Parity.Gguf;

namespace Parity.Engine.Model;

/// <summary>How rotary embeddings pair dimensions: NORM rotates (2i, 2i+1), NEOX rotates (i, i + n_rot/2).</summary>
public enum RopeMode
{
    Norm = 0,
    Neox = 2,
}

/// <summary>Hyperparameters of a LLaMA-family model, immutable, with llama.cpp's names.</summary>
public sealed record LlamaConfig
{
    public required int NEmbd { get; init; }            // residual width

    public required int NLayer { get; init; }

    public required int NHead { get; init; }            // query heads

    public required int NHeadKv { get; init; }          // key/value heads (GQA when < NHead)

    public required int NFf { get; init; }              // feed-forward width

    public required int NVocab { get; init; }

    public required int NCtxTrain { get; init; }

    public required float RmsEps { get; init; }

    public required float RopeFreqBase { get; init; }

    public required float RopeFreqScale { get; init; }

    public required int NRot { get; init; }             // rotated dimensions per head

    public RopeMode RopeMode { get; init; } = RopeMode.Norm;

    public int HeadDim => NEmbd / NHead;

    public int NEmbdKv => HeadDim * NHeadKv;

    public int Group => NHead / NHeadKv;

    /// <summary>The llama architecture uses NORM RoPE, which is what GGUF llama weights (permuted at conversion) expect.</summary>
    public static LlamaConfig From(LlamaHyperparameters h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return new LlamaConfig
        {
            NEmbd = h.EmbeddingLength,
            NLayer = h.BlockCount,
            NHead = h.HeadCount,
            NHeadKv = h.HeadCountKv,
            NFf = h.FeedForwardLength,
            NVocab = h.VocabSize,
            NCtxTrain = h.ContextLength,
            RmsEps = h.RmsEpsilon,
            RopeFreqBase = h.RopeFreqBase,
            RopeFreqScale = h.RopeFreqScale,
            NRot = h.RopeDimensionCount,
            RopeMode = h.Architecture is "llama" or "mistral" ? RopeMode.Norm : RopeMode.Neox,
        };
    }
}
