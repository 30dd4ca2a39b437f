namespace Parity.Dump;

/// <summary>A parsed and validated safetensors header: entries in header order, the metadata, where the data starts.</summary>
internal sealed record SafetensorsLayout(
    IReadOnlyList<SafetensorsTensorInfo> Tensors,
    IReadOnlyDictionary<string, string> Metadata,
    long DataStart,
    long DataLength);
