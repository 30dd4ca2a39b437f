namespace Parity.Engine.Model;

/// <summary>
/// All weights of a model: matrices as they lie in the memory map in their GGUF type (the products read copies the
/// matmul makes once at load, <see cref="Kernels.ResidentWeights"/>); the small norm vectors are dequantized once into
/// float arrays. An architecture unit fills it from its tensor set.
/// </summary>
public sealed record ModelWeights
{
    public required WeightMatrix TokenEmbd { get; init; }       // [n_embd, n_vocab]

    public required IReadOnlyList<LayerWeights> Layers { get; init; }

    public required float[] OutputNorm { get; init; }           // [n_embd]

    /// <summary>The LM head: <c>output.weight</c>, or the token embeddings when the file ties them.</summary>
    public required WeightMatrix Output { get; init; }          // [n_embd, n_vocab]

    /// <summary><c>rope_freqs.weight</c> (Llama 3.1+): each rotated pair's angle is divided by its factor; null without.</summary>
    public float[]? RopeFreqs { get; init; }                    // [n_rot / 2]

    /// <summary>Every weight matrix, parts of fused projections and single experts included (a matrix a layer lacks is skipped).</summary>
    public IEnumerable<WeightMatrix> Matrices()
    {
        yield return TokenEmbd;
        yield return Output;
        foreach (var layer in Layers)
        {
            WeightMatrix?[] dense = [layer.Wq, layer.Wk, layer.Wv, layer.Wqkv, layer.Wo, layer.FfnGate, layer.FfnUp, layer.FfnDown, layer.FfnGateUp];
            foreach (var w in dense.Concat(Experts(layer.Experts)))
            {
                if (w is { } matrix && matrix.Address != 0)
                {
                    yield return matrix;
                }
            }
        }
    }

    private static IEnumerable<WeightMatrix?> Experts(ExpertWeights? experts) =>
        experts is null ? [] : [experts.Router, .. experts.Gate, .. experts.Up, .. experts.Down];
}
