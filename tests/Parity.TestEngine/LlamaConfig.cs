using System.Globalization;

namespace Parity.TestEngine;

/// <summary>The hyperparameters of a llama model, from its GGUF metadata; anything this engine does not implement is refused by name.</summary>
internal sealed record LlamaConfig
{
    public required int NEmbd { get; init; }

    public required int NLayer { get; init; }

    public required int NHead { get; init; }

    public required int NHeadKv { get; init; }

    public required int HeadDim { get; init; }

    public required int NFf { get; init; }

    public required int NVocab { get; init; }

    public required int NCtxTrain { get; init; }

    public required float RopeFreqBase { get; init; }

    public required int RopeDims { get; init; }

    public required float RmsEps { get; init; }

    /// <summary><c>general.file_type</c>, when the file records one.</summary>
    public long? FileType { get; init; }

    public int NEmbdKv => NHeadKv * HeadDim;

    public static LlamaConfig Read(GgufFile file)
    {
        var arch = Text(file, "general.architecture");
        if (arch != "llama")
        {
            throw new RefusedException($"model {file.Path}: architecture '{arch}'; this engine implements 'llama' only");
        }

        var nEmbd = Int(file, "llama.embedding_length");
        var nHead = Int(file, "llama.attention.head_count");
        var headDim = OptionalInt(file, "llama.attention.key_length") ?? nEmbd / nHead;
        var config = new LlamaConfig
        {
            NEmbd = nEmbd,
            NLayer = Int(file, "llama.block_count"),
            NHead = nHead,
            NHeadKv = OptionalInt(file, "llama.attention.head_count_kv") ?? nHead,
            HeadDim = headDim,
            NFf = Int(file, "llama.feed_forward_length"),
            NVocab = file.Tensors.TryGetValue("token_embd.weight", out var embd) ? (int)embd.Ne[1] : throw new RefusedException($"model {file.Path}: tensor 'token_embd.weight' missing"),
            NCtxTrain = Int(file, "llama.context_length"),
            RopeFreqBase = (float)(OptionalFloat(file, "llama.rope.freq_base") ?? 10000.0),
            RopeDims = OptionalInt(file, "llama.rope.dimension_count") ?? headDim,
            RmsEps = (float)(OptionalFloat(file, "llama.attention.layer_norm_rms_epsilon") ?? throw new BadRequestException($"model {file.Path}: metadata 'llama.attention.layer_norm_rms_epsilon' missing")),
            FileType = file.Metadata.TryGetValue("general.file_type", out var ft) ? Convert.ToInt64(ft, CultureInfo.InvariantCulture) : null,
        };
        config.RefuseUnimplemented(file);
        return config;
    }

    /// <summary>llama.cpp's name for the file type (as dumps record it), or null when this engine does not name it.</summary>
    public string? FileTypeName => FileType switch
    {
        0 => "ALL_F32",
        1 => "MOSTLY_F16",
        _ => null,
    };

    private void RefuseUnimplemented(GgufFile file)
    {
        string? Refusal()
        {
            if (file.Metadata.TryGetValue("llama.rope.scaling.type", out var scaling) && scaling is string s && s != "none")
            {
                return $"RoPE scaling '{s}'";
            }

            if (file.Tensors.ContainsKey("rope_freqs.weight"))
            {
                return "RoPE frequency factors (rope_freqs.weight)";
            }

            if (RopeDims != HeadDim || (OptionalInt(file, "llama.attention.value_length") ?? HeadDim) != HeadDim)
            {
                return $"partial RoPE or unequal K/V head sizes (rope dims {RopeDims}, head dim {HeadDim})";
            }

            if ((OptionalInt(file, "llama.expert_count") ?? 0) > 0)
            {
                return "mixture of experts (llama.expert_count)";
            }

            return file.Tensors.Keys.FirstOrDefault(n => n.EndsWith(".bias", StringComparison.Ordinal)) is { } bias ? $"bias tensors ({bias})" : null;
        }

        if (Refusal() is { } what)
        {
            throw new RefusedException($"model {file.Path}: {what} is not implemented by this engine");
        }

        if (NHead % NHeadKv != 0)
        {
            throw new BadRequestException($"model {file.Path}: head_count {NHead} is not a multiple of head_count_kv {NHeadKv}");
        }
    }

    private static string Text(GgufFile file, string key) =>
        file.Metadata.TryGetValue(key, out var v) && v is string s ? s : throw new BadRequestException($"model {file.Path}: metadata '{key}' missing or not a string");

    private static int Int(GgufFile file, string key) =>
        OptionalInt(file, key) ?? throw new BadRequestException($"model {file.Path}: metadata '{key}' missing");

    private static int? OptionalInt(GgufFile file, string key) =>
        file.Metadata.TryGetValue(key, out var v) ? v is long n ? checked((int)n) : throw new BadRequestException($"model {file.Path}: metadata '{key}' is not an integer") : null;

    private static double? OptionalFloat(GgufFile file, string key) =>
        file.Metadata.TryGetValue(key, out var v) ? v is double d ? d : throw new BadRequestException($"model {file.Path}: metadata '{key}' is not a float") : null;
}
