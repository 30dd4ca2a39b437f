using Parity.Gguf;

namespace Parity.Harness.Models;

/// <summary>What <c>parity model info</c> shows: a GGUF model's hyperparameters, tensor types and vocabulary.</summary>
public sealed record ModelSummary
{
    public required string Path { get; init; }

    public required long FileBytes { get; init; }

    public required uint GgufVersion { get; init; }

    public required uint Alignment { get; init; }

    public required int MetadataCount { get; init; }

    public string? Name { get; init; }

    public required LlamaHyperparameters Hyperparameters { get; init; }

    /// <summary>Tensor count per ggml type, most frequent first.</summary>
    public required IReadOnlyList<KeyValuePair<GgmlType, int>> TensorTypes { get; init; }

    public required int TensorCount { get; init; }

    public required long TensorBytes { get; init; }

    public required VocabularySummary Vocabulary { get; init; }

    /// <summary>The weight the logits are computed with, "(tied)" when it is the token embeddings; null when the architecture has no graph descriptor.</summary>
    public string? LmHead { get; init; }

    public static ModelSummary Read(string path)
    {
        using var file = GgufFile.Open(path);
        return Read(file);
    }

    public static ModelSummary Read(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var types = file.Tensors.GroupBy(t => t.Type)
            .Select(g => new KeyValuePair<GgmlType, int>(g.Key, g.Count()))
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key)
            .ToList();
        return new ModelSummary
        {
            Path = file.Path,
            FileBytes = file.FileLength,
            GgufVersion = file.Version,
            Alignment = file.Alignment,
            MetadataCount = file.Metadata.Count,
            Name = file.GetTyped(GgufKeys.Name, "a string", GgufValueType.String)?.AsString(),
            Hyperparameters = LlamaHyperparameters.Read(file),
            TensorTypes = types,
            TensorCount = file.Tensors.Count,
            TensorBytes = file.Tensors.Sum(t => t.ByteSize),
            Vocabulary = VocabularySummary.Read(file),
            LmHead = LmHeadOf(file),
        };
    }

    private static string? LmHeadOf(GgufFile file)
    {
        var architecture = file.TryGetValue(GgufKeys.Architecture, out var a) ? a.AsString() : null;
        if (architecture is null || Graph.GraphDescriptors.Find(architecture) is not { } graph)
        {
            return null;
        }

        var head = graph.Weights.LmHead(file.Tensors.Select(t => t.Name), out var tied);
        return head is null ? null : head + (tied ? " (tied)" : string.Empty);
    }
}
