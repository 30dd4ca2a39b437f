using Parity.Gguf;
using Parity.Harness.Graph;

namespace Parity.Harness.Bench;

/// <summary>
/// The memory-bound limit of generation: every weight a token reads, once, at the measured read bandwidth. The token
/// embedding table counts only when it is also the LM head (tied embeddings); otherwise one row of it is read. Which
/// weights those are comes from the graph descriptor.
/// </summary>
public sealed record Roofline(long WeightBytesPerToken, double BandwidthBytesPerSecond, int Threads)
{
    public double TokensPerSecond => BandwidthBytesPerSecond / WeightBytesPerToken;

    public static long WeightBytes(string modelPath)
    {
        using var file = GgufFile.Open(modelPath);
        var weights = GraphDescriptors.For(LlamaHyperparameters.Read(file).Architecture).Weights;
        var embedding = weights.LmHead(file.Tensors.Select(t => t.Name), out var tied) is not null && !tied ? weights.ByRole(WeightRole.Embedding)?.Name : null;
        return file.Tensors.Where(t => t.Name != embedding).Sum(t => t.ByteSize);
    }
}
