namespace Parity.TestEngine;

/// <summary>The model's weights as float32 arrays, each in GGUF order: row r of a matrix is its r-th output.</summary>
internal sealed class LlamaWeights
{
    private LlamaWeights(float[] tokenEmbd, LayerWeights[] layers, float[] outputNorm, float[] output)
    {
        TokenEmbd = tokenEmbd;
        Layers = layers;
        OutputNorm = outputNorm;
        Output = output;
    }

    public float[] TokenEmbd { get; } // [nVocab, nEmbd]

    public LayerWeights[] Layers { get; }

    public float[] OutputNorm { get; } // [nEmbd]

    public float[] Output { get; } // [nVocab, nEmbd]; the embedding when the model ties them

    public static LlamaWeights Load(GgufFile file, LlamaConfig config)
    {
        var (e, q, kv, ff, v) = (config.NEmbd, config.NHead * config.HeadDim, config.NEmbdKv, config.NFf, config.NVocab);
        var embd = Read(file, "token_embd.weight", e, v);
        var layers = new LayerWeights[config.NLayer];
        for (var il = 0; il < layers.Length; il++)
        {
            float[] W(string name, params long[] ne) => Read(file, $"blk.{il}.{name}.weight", ne);
            layers[il] = new LayerWeights(
                W("attn_norm", e), W("attn_q", e, q), W("attn_k", e, kv), W("attn_v", e, kv), W("attn_output", q, e),
                W("ffn_norm", e), W("ffn_gate", e, ff), W("ffn_up", e, ff), W("ffn_down", ff, e));
        }

        var output = file.Tensors.ContainsKey("output.weight") ? Read(file, "output.weight", e, v) : embd;
        return new LlamaWeights(embd, layers, Read(file, "output_norm.weight", e), output);
    }

    /// <summary>A weight whose ggml <c>ne</c> must be <paramref name="ne"/>, so no loop below reads out of its bounds.</summary>
    private static float[] Read(GgufFile file, string name, params long[] ne)
    {
        if (file.Tensors.TryGetValue(name, out var t) && !t.Ne.SequenceEqual(ne))
        {
            throw new BadRequestException($"model {file.Path}: tensor '{name}' has ne [{string.Join(", ", t.Ne)}]; the hyperparameters say [{string.Join(", ", ne)}]");
        }

        return file.ReadFloats(name);
    }
}

/// <summary>One transformer block's weights.</summary>
internal sealed record LayerWeights(
    float[] AttnNorm, // [nEmbd]
    float[] Wq, // [nHead*headDim, nEmbd]
    float[] Wk, // [nHeadKv*headDim, nEmbd]
    float[] Wv, // [nHeadKv*headDim, nEmbd]
    float[] Wo, // [nEmbd, nHead*headDim]
    float[] FfnNorm, // [nEmbd]
    float[] WGate, // [nFf, nEmbd]
    float[] WUp, // [nFf, nEmbd]
    float[] WDown); // [nEmbd, nFf]
