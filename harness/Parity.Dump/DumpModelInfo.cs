namespace Parity.Dump;

/// <summary>The GGUF model a dump was made from; <see cref="Sha256"/> is what diffing tools compare to refuse mismatched dumps.</summary>
public sealed record DumpModelInfo
{
    /// <summary>The model path as the producer was given it (informational; not used to find the model).</summary>
    public required string Path { get; init; }

    public required long Bytes { get; init; }

    /// <summary>Lowercase hex SHA-256 of the whole GGUF file.</summary>
    public required string Sha256 { get; init; }

    /// <summary><c>general.architecture</c>, e.g. <c>llama</c>.</summary>
    public required string Architecture { get; init; }

    /// <summary>Null when the producer does not know the architecture's hyperparameters.</summary>
    public required DumpHyperparameters? Hyperparameters { get; init; }

    /// <summary>llama.cpp's file type name (e.g. <c>MOSTLY_Q8_0</c>), when the GGUF records one.</summary>
    public string? FileType { get; init; }

    /// <summary>How many weight tensors have each ggml type, by ggml type name (<c>{"f32": 9, "q8_0": 14}</c>).</summary>
    public required IReadOnlyDictionary<string, int> WeightTypes { get; init; }
}
