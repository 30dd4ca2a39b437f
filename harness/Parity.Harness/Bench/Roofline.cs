using Parity.Gguf;

namespace Parity.Harness.Bench;

/// <summary>
/// The memory-bound limit of generation: every weight a token reads, once, at the measured read bandwidth. The token
/// embedding table counts only when it is also the LM head (tied embeddings); otherwise one row of it is read.
/// </summary>
public sealed record Roofline(long WeightBytesPerToken, double BandwidthBytesPerSecond, int Threads)
{
    public double TokensPerSecond => BandwidthBytesPerSecond / WeightBytesPerToken;

    public static long WeightBytes(string modelPath)
    {
        using var file = GgufFile.Open(modelPath);
        var tied = file.Tensors.All(t => t.Name != "output.weight");
        return file.Tensors.Where(t => tied || t.Name != "token_embd.weight").Sum(t => t.ByteSize);
    }
}
