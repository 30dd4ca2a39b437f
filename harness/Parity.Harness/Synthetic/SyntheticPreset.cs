namespace Parity.Harness.Synthetic;

/// <summary>
/// The shape of a synthetic LLaMA model. Dimensions follow llama.cpp's names: <c>n_embd</c>, <c>n_ff</c>, ...
/// </summary>
public sealed record SyntheticPreset
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    public required int NEmbd { get; init; }

    public required int NFf { get; init; }

    public required int NLayer { get; init; }

    public required int NHead { get; init; }

    public required int NHeadKv { get; init; }

    public required int VocabSize { get; init; }

    public int ContextLength { get; init; } = 2048;

    public float RmsEpsilon { get; init; } = 1e-5f;

    public float RopeFreqBase { get; init; } = 10000f;

    /// <summary>When true the file has no <c>output.weight</c> and the LM head is the token embedding matrix.</summary>
    public bool TiedEmbeddings { get; init; }

    public int HeadDim => NEmbd / NHead;

    public int NEmbdKv => HeadDim * NHeadKv;

    /// <summary>Bytes of all weights in F32, for size estimates.</summary>
    public long F32Bytes =>
        4L * ((long)VocabSize * NEmbd * (TiedEmbeddings ? 1 : 2) + NEmbd
              + (long)NLayer * (2L * NEmbd + 2L * NEmbd * NEmbd + 2L * NEmbd * NEmbdKv + 3L * NEmbd * NFf));
}
