namespace Parity.Harness.Graph;

/// <summary>The GGUF weight tensors of an architecture, in file order, with their shapes in model dimensions.</summary>
public sealed record GraphWeights
{
    /// <summary>What precedes a per-layer weight's name: <c>blk.{layer}.</c> makes <c>blk.3.attn_q.weight</c>.</summary>
    public required string LayerPrefix { get; init; }

    public required IReadOnlyList<GraphWeight> Tensors { get; init; }

    /// <summary>The GGUF name of <paramref name="weight"/> in layer <paramref name="layer"/> (ignored for per-model weights).</summary>
    public string NameOf(GraphWeight weight, int layer)
    {
        ArgumentNullException.ThrowIfNull(weight);
        return weight.PerLayer ? LayerPrefix.Replace(GraphReference.LayerPlaceholder, layer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) + weight.Name : weight.Name;
    }

    /// <summary>
    /// Every weight of an <paramref name="nLayer"/>-layer model with its GGUF name, in file order: per-model weights
    /// listed before the layer block, the block once per layer, then the per-model weights after it.
    /// </summary>
    public IEnumerable<(string Name, GraphWeight Weight)> InFileOrder(int nLayer)
    {
        var first = Tensors.TakeWhile(t => !t.PerLayer).Count();
        var block = Tensors.Skip(first).TakeWhile(t => t.PerLayer).ToList();
        foreach (var w in Tensors.Take(first))
        {
            yield return (w.Name, w);
        }

        for (var il = 0; il < nLayer; il++)
        {
            foreach (var w in block)
            {
                yield return (NameOf(w, il), w);
            }
        }

        foreach (var w in Tensors.Skip(first + block.Count))
        {
            yield return (w.Name, w);
        }
    }

    /// <summary>
    /// The LM head of a model holding <paramref name="tensorNames"/>: the output weight, or the token embeddings
    /// (<paramref name="tied"/>) when the file has no output weight; null when the descriptor lists neither.
    /// </summary>
    public string? LmHead(IEnumerable<string> tensorNames, out bool tied)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        var output = ByRole(WeightRole.Output)?.Name;
        tied = output is null || !tensorNames.Contains(output, StringComparer.Ordinal);
        return tied ? ByRole(WeightRole.Embedding)?.Name : output;
    }

    /// <summary>The first per-model weight with <paramref name="role"/>, or null.</summary>
    public GraphWeight? ByRole(WeightRole role) => Tensors.FirstOrDefault(t => !t.PerLayer && t.Role == role);
}

/// <summary>One weight tensor: its name (without the layer prefix), role and ggml shape.</summary>
public sealed record GraphWeight
{
    public required string Name { get; init; }

    public bool PerLayer { get; init; }

    public required WeightRole Role { get; init; }

    /// <summary>ggml dimensions, ne[0] (the row length) first.</summary>
    public required IReadOnlyList<ModelDimension> Ne { get; init; }

    /// <summary>A fixed ggml type (norm weights stay <c>f32</c> whatever the model's type); null: the model's weight type.</summary>
    public string? Type { get; init; }

    /// <summary>Not in the file when the LM head reuses the token embeddings.</summary>
    public bool AbsentWhenTied { get; init; }

    /// <summary>In some models of the architecture only (Llama 3.1's <c>rope_freqs.weight</c>).</summary>
    public bool Optional { get; init; }
}
