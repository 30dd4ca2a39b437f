namespace Parity.Gguf;

/// <summary>
/// The hyperparameters of a LLaMA-family model, read from GGUF metadata with llama.cpp's defaults for absent keys
/// (<c>head_count_kv</c> = <c>head_count</c>, <c>rope.dimension_count</c> = head size, <c>rope.freq_base</c> 10000,
/// vocabulary size from the token list).
/// </summary>
public sealed record LlamaHyperparameters
{
    public required string Architecture { get; init; }

    public required int ContextLength { get; init; }

    public required int EmbeddingLength { get; init; }

    public required int BlockCount { get; init; }

    public required int FeedForwardLength { get; init; }

    public required int HeadCount { get; init; }

    public required int HeadCountKv { get; init; }

    public required float RmsEpsilon { get; init; }

    public required float RopeFreqBase { get; init; }

    public required int RopeDimensionCount { get; init; }

    /// <summary>1 / <c>rope.scaling.factor</c> for linear scaling, else 1 (llama.cpp's <c>rope_freq_scale</c>).</summary>
    public required float RopeFreqScale { get; init; }

    public required int VocabSize { get; init; }

    public LlamaFileType? FileType { get; init; }

    public int HeadDim => EmbeddingLength / HeadCount;

    public int EmbeddingLengthKv => HeadDim * HeadCountKv;

    /// <summary>Query heads per KV head (GQA group size).</summary>
    public int GqaGroup => HeadCount / HeadCountKv;

    public static LlamaHyperparameters Read(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var arch = file.TryGetValue(GgufKeys.Architecture, out var a) ? a.AsString() : throw Missing(file, GgufKeys.Architecture);

        int Int(string key, int? fallback = null)
        {
            var full = GgufKeys.Arch(arch, key);
            if (!file.TryGetValue(full, out var v))
            {
                return fallback ?? throw Missing(file, full);
            }

            var x = v.AsInt64();
            return x is >= 0 and <= int.MaxValue ? (int)x : throw new GgufFormatException(file.Path, 0, full, "a non-negative 32-bit count", x.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        float Float(string key, float fallback) =>
            file.TryGetValue(GgufKeys.Arch(arch, key), out var v) ? v.AsSingle() : fallback;

        var nEmbd = Int(GgufKeys.EmbeddingLength);
        var nHead = Int(GgufKeys.HeadCount);
        if (nHead <= 0 || nEmbd % nHead != 0)
        {
            throw new GgufFormatException(file.Path, 0, GgufKeys.Arch(arch, GgufKeys.HeadCount), $"a positive divisor of embedding_length {nEmbd}", nHead.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var nHeadKv = Int(GgufKeys.HeadCountKv, nHead);
        if (nHeadKv <= 0 || nHead % nHeadKv != 0)
        {
            throw new GgufFormatException(file.Path, 0, GgufKeys.Arch(arch, GgufKeys.HeadCountKv), $"a positive divisor of head_count {nHead}", nHeadKv.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var scalingLinear = file.TryGetValue(GgufKeys.Arch(arch, GgufKeys.RopeScalingType), out var st) && st.AsString() == "linear";
        var factor = Float(GgufKeys.RopeScalingFactor, 0f);
        var vocab = file.TryGetValue(GgufKeys.Tokens, out var tokens) ? tokens.ArrayLength : Int(GgufKeys.VocabSize);

        return new LlamaHyperparameters
        {
            Architecture = arch,
            ContextLength = Int(GgufKeys.ContextLength),
            EmbeddingLength = nEmbd,
            BlockCount = Int(GgufKeys.BlockCount),
            FeedForwardLength = Int(GgufKeys.FeedForwardLength),
            HeadCount = nHead,
            HeadCountKv = nHeadKv,
            RmsEpsilon = Float(GgufKeys.RmsEpsilon, 1e-5f),
            RopeFreqBase = Float(GgufKeys.RopeFreqBase, 10000f),
            RopeDimensionCount = Int(GgufKeys.RopeDimensionCount, nEmbd / nHead),
            RopeFreqScale = scalingLinear && factor > 0 ? 1f / factor : 1f,
            VocabSize = vocab,
            FileType = file.TryGetValue(GgufKeys.FileType, out var ft) ? (LlamaFileType)ft.AsInt64() : null,
        };
    }

    private static KeyNotFoundException Missing(GgufFile file, string key) => new($"{file.Path}: metadata key '{key}' is missing");
}
