using Parity.Gguf;
using Parity.Harness.Graph;

namespace Parity.Harness.Bench;

/// <summary>
/// The memory-bound limit of generation: every weight a token reads, once, at the measured read bandwidth. The token
/// embedding table counts only when it is also the LM head (tied embeddings); otherwise one row of it is read. A
/// stacked expert tensor (a matrix per expert; the router is read whole) counts only for the experts a token is routed to (<c>expert_used_count</c> of
/// <c>expert_count</c>). Which weights those are comes from the graph descriptor.
/// </summary>
public sealed record Roofline(long WeightBytesPerToken, double BandwidthBytesPerSecond, int Threads)
{
    public double TokensPerSecond => BandwidthBytesPerSecond / WeightBytesPerToken;

    public static long WeightBytes(string modelPath)
    {
        using var file = GgufFile.Open(modelPath);
        var hyper = LlamaHyperparameters.Read(file);
        var weights = GraphDescriptors.For(hyper.Architecture).Weights;
        var embedding = weights.LmHead(file.Tensors.Select(t => t.Name), out var tied) is not null && !tied ? weights.ByRole(WeightRole.Embedding)?.Name : null;
        var experts = weights.InFileOrder(hyper.BlockCount).Where(w => w.Weight.Ne.Count > 2 && w.Weight.Ne[^1] == ModelDimension.NExpert).Select(w => w.Name).ToHashSet(StringComparer.Ordinal);
        var (used, count) = (Count(file, hyper.Architecture, GgufKeys.ExpertUsedCount), Count(file, hyper.Architecture, GgufKeys.ExpertCount));
        return file.Tensors.Where(t => t.Name != embedding).Sum(t => count > 0 && experts.Contains(t.Name) ? t.ByteSize * used / count : t.ByteSize);
    }

    private static long Count(GgufFile file, string architecture, string key) =>
        file.TryGetValue(GgufKeys.Arch(architecture, key), out var value) ? value.AsInt64() : 0;
}
