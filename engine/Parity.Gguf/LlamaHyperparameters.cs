namespace Parity.Gguf;

/// <summary>
/// The hyperparameters of a LLaMA-family model, read from GGUF metadata with llama.cpp's defaults for absent keys
/// (<c>head_count_kv</c> = <c>head_count</c>, head size <c>attention.key_length</c> = <c>value_length</c> =
/// <c>embedding_length / head_count</c>, <c>rope.dimension_count</c> = head size, <c>rope.freq_base</c> 10000,
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

    /// <summary><c>attention.key_length</c> (llama.cpp's <c>n_embd_head_k</c>).</summary>
    public required int HeadDim { get; init; }

    /// <summary><c>attention.value_length</c> (<c>n_embd_head_v</c>).</summary>
    public required int ValueDim { get; init; }

    public int EmbeddingLengthKv => HeadDim * HeadCountKv;

    /// <summary>Query heads per KV head (GQA group size).</summary>
    public int GqaGroup => HeadCount / HeadCountKv;

    public static LlamaHyperparameters Read(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var arch = ReadString(file, GgufKeys.Architecture) ?? throw Missing(file, GgufKeys.Architecture);

        int Int(string key, int? fallback = null, int min = 0)
        {
            var full = GgufKeys.Arch(arch, key);
            var v = file.GetTyped(full, "a u32 count", GgufValueType.UInt32);
            if (v is null)
            {
                return fallback ?? throw Missing(file, full);
            }

            var x = (uint)v.Raw;
            return x >= min && x <= int.MaxValue ? (int)x : throw file.WrongValue(full, $"a count of at least {min}", x.ToString(Inv));
        }

        float Float(string key, float fallback)
        {
            var full = GgufKeys.Arch(arch, key);
            return file.GetTyped(full, "an f32", GgufValueType.Float32) is { } v ? (float)v.Raw : fallback;
        }

        var nEmbd = Int(GgufKeys.EmbeddingLength, min: 1);
        var nHead = Int(GgufKeys.HeadCount, min: 1);
        var keyLength = file.TryGetValue(GgufKeys.Arch(arch, GgufKeys.KeyLength), out _) ? Int(GgufKeys.KeyLength, min: 1) : (int?)null;
        if (keyLength is null && nEmbd % nHead != 0)
        {
            throw file.WrongValue(GgufKeys.Arch(arch, GgufKeys.HeadCount), $"a positive divisor of embedding_length {nEmbd}", nHead.ToString(Inv));
        }

        var nHeadKv = Int(GgufKeys.HeadCountKv, nHead, min: 1);
        if (nHead % nHeadKv != 0)
        {
            throw file.WrongValue(GgufKeys.Arch(arch, GgufKeys.HeadCountKv), $"a positive divisor of head_count {nHead}", nHeadKv.ToString(Inv));
        }

        var headDim = keyLength ?? nEmbd / nHead;
        var ropeDims = Int(GgufKeys.RopeDimensionCount, headDim);
        if (ropeDims == 0 || ropeDims % 2 != 0 || ropeDims > headDim)
        {
            throw file.WrongValue(GgufKeys.Arch(arch, GgufKeys.RopeDimensionCount), $"an even count of rotated dimensions, 2..{headDim} (the head size)", ropeDims.ToString(Inv));
        }

        var eps = Float(GgufKeys.RmsEpsilon, 1e-5f);
        if (!(eps > 0 && float.IsFinite(eps)))
        {
            throw file.WrongValue(GgufKeys.Arch(arch, GgufKeys.RmsEpsilon), "a positive, finite epsilon", eps.ToString("R", Inv));
        }

        var freqBase = Float(GgufKeys.RopeFreqBase, 10000f);
        if (!(freqBase > 0 && float.IsFinite(freqBase)))
        {
            throw file.WrongValue(GgufKeys.Arch(arch, GgufKeys.RopeFreqBase), "a positive, finite base", freqBase.ToString("R", Inv));
        }

        var scalingLinear = ReadString(file, GgufKeys.Arch(arch, GgufKeys.RopeScalingType)) == "linear";
        var factor = Float(GgufKeys.RopeScalingFactor, 0f);
        var vocab = file.GetTyped(GgufKeys.Tokens, "an array of token strings", GgufValueType.Array) is { } tokens ? tokens.ArrayLength
            : file.TryGetValue(GgufKeys.Arch(arch, GgufKeys.VocabSize), out _) ? Int(GgufKeys.VocabSize, min: 1)
            : throw new KeyNotFoundException($"{file.Path}: metadata key '{GgufKeys.Tokens}' is missing (and '{GgufKeys.Arch(arch, GgufKeys.VocabSize)}' too): the file has no vocabulary");

        return new LlamaHyperparameters
        {
            Architecture = arch,
            ContextLength = Int(GgufKeys.ContextLength, min: 1),
            EmbeddingLength = nEmbd,
            BlockCount = Int(GgufKeys.BlockCount, min: 1),
            FeedForwardLength = Int(GgufKeys.FeedForwardLength, min: 1),
            HeadCount = nHead,
            HeadCountKv = nHeadKv,
            HeadDim = headDim,
            ValueDim = Int(GgufKeys.ValueLength, headDim, min: 1),
            RmsEpsilon = eps,
            RopeFreqBase = freqBase,
            RopeDimensionCount = ropeDims,
            RopeFreqScale = scalingLinear && factor > 0 ? 1f / factor : 1f,
            VocabSize = checked((int)vocab),
            FileType = file.GetTyped(GgufKeys.FileType, "a u32 file type", GgufValueType.UInt32) is { } ft ? (LlamaFileType)(uint)ft.Raw : null,
        };
    }

    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    private static string? ReadString(GgufFile file, string key) => (string?)file.GetTyped(key, "a string", GgufValueType.String)?.Raw;

    private static KeyNotFoundException Missing(GgufFile file, string key) => new($"{file.Path}: metadata key '{key}' is missing");
}
