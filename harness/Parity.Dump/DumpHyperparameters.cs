namespace Parity.Dump;

/// <summary>
/// The model's hyperparameters as the producer understood them, under llama.cpp's <c>llama_hparams</c> names so a
/// dump reads next to llama.cpp's load log. <see cref="RopeFreqBase"/> and <see cref="RmsEps"/> are single precision
/// because GGUF stores them so; JSON keeps their shortest round-trip spelling (<c>1E-05</c>, not <c>9.99999974737875E-06</c>).
/// </summary>
public sealed record DumpHyperparameters
{
    public required int NEmbd { get; init; }

    public required int NLayer { get; init; }

    public required int NHead { get; init; }

    public required int NHeadKv { get; init; }

    public required int NFf { get; init; }

    public required int NVocab { get; init; }

    public required int NCtxTrain { get; init; }

    public required float RopeFreqBase { get; init; }

    public required int RopeDimensionCount { get; init; }

    /// <summary>
    /// <c>n_embd_head_k</c>, the head size (<c>attention.key_length</c>); absent in dumps written before it was
    /// recorded, which then mean <c>nEmbd / nHead</c>.
    /// </summary>
    public int? NEmbdHeadK { get; init; }

    /// <summary>The head size: <see cref="NEmbdHeadK"/>, else <c>nEmbd / nHead</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int HeadDim => NEmbdHeadK ?? NEmbd / NHead;

    public required float RmsEps { get; init; }
}
