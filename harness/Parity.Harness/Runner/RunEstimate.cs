using Parity.Gguf;
using Parity.Harness.Graph;

namespace Parity.Harness.Runner;

/// <summary>
/// What a comparison will cost before it starts: the bytes each side dumps and the memory each side needs, from the
/// model's hyperparameters and its graph descriptor. Estimates, not bounds: every channel dimension is counted at
/// n_embd (the FFN's wider tensors are larger), which is close enough to refuse a run that cannot fit by a wide margin.
/// llama.cpp's dump also holds, every step, the views of each layer's KV cache that its graph names (written, read,
/// permuted: seven views of the whole cache), which for a long run outweighs everything else.
/// </summary>
public sealed record RunEstimate
{
    /// <summary>llama.cpp pads the KV cells it attends to this many.</summary>
    private const int KvPadding = 256;

    /// <summary>Views of one layer's KV cache in each llama.cpp step (K and V written, reshaped, viewed, permuted).</summary>
    private const int CacheViewsPerLayer = 7;

    public required long EngineDumpBytes { get; init; }

    public required long ReferenceDumpBytes { get; init; }

    public required long RunnerMemoryBytes { get; init; }

    public required long EngineMemoryBytes { get; init; }

    public static RunEstimate For(string modelPath, int promptTokens, int steps, long contextSize)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        using var file = GgufFile.Open(modelPath);
        var h = LlamaHyperparameters.Read(file);
        var modelBytes = new FileInfo(modelPath).Length;
        var descriptor = GraphDescriptors.Find(h.Architecture);
        long dump = 0;
        for (var step = 0; step <= steps; step++)
        {
            var rows = step == 0 ? promptTokens : 1;
            var nKv = Pad(promptTokens + step);
            dump += rows * RowElements(h, descriptor, nKv) * sizeof(float);
        }

        long nKvMax = Pad(promptTokens + steps);
        long kvCells = contextSize * h.BlockCount * (h.HeadCountKv * ((long)h.HeadDim + h.ValueDim));
        long cacheViews = (steps + 1L) * CacheViewsPerLayer * h.BlockCount * contextSize * h.HeadCountKv * h.HeadDim * sizeof(short);
        long scores = nKvMax * promptTokens * h.HeadCount * sizeof(float);
        long logits = (long)h.VocabSize * promptTokens * sizeof(float);
        return new RunEstimate
        {
            EngineDumpBytes = dump,
            ReferenceDumpBytes = dump + cacheViews,
            // llama.cpp: the mapped weights, an F16 KV cache, and one ubatch holding the whole prompt (scores and
            // their softmax, logits for every row).
            RunnerMemoryBytes = modelBytes + (kvCells * 2) + (2 * scores) + logits,
            // The engine: the weights, an F32 KV cache, scores for the prompt over the whole context, logits.
            EngineMemoryBytes = modelBytes + (kvCells * sizeof(float)) + (contextSize * promptTokens * h.HeadCount * sizeof(float)) + logits,
        };
    }

    private static int Pad(int cells) => Math.Max(KvPadding, (cells + KvPadding - 1) / KvPadding * KvPadding);

    /// <summary>Elements one token row adds to one step's dump: every traced node, per layer where it is per layer.</summary>
    private static long RowElements(LlamaHyperparameters h, GraphDescriptor? descriptor, int nKv)
    {
        if (descriptor is null)
        {
            // No descriptor: the residual stream and the attention scores of every layer, and the logits.
            return (h.BlockCount * ((long)h.EmbeddingLength + ((long)nKv * h.HeadCount))) + h.VocabSize;
        }

        long total = 0;
        foreach (var node in descriptor.Nodes)
        {
            var elements = node.Dims.Aggregate(1L, (product, dim) => product * DimSize(dim, node, h, nKv));
            total += node.PerLayer ? elements * h.BlockCount : elements;
        }

        return total;
    }

    private static long DimSize(string dim, GraphNode node, LlamaHyperparameters h, int nKv) => dim switch
    {
        "token" => 1,
        "channel" when node.Dims.Contains("head") => h.HeadDim,
        "channel" => h.EmbeddingLength,
        "head" => h.HeadCount,
        "kv" => nKv,
        "vocab" => h.VocabSize,
        _ => 1,
    };
}
