using System.Text.Json.Serialization;

namespace Parity.Dump;

/// <summary>
/// One dumped tensor, in graph order. <see cref="Ne"/> is ggml's view (ne[0] fastest, always four entries);
/// <see cref="Shape"/> is the row-major shape the safetensors file declares: <see cref="Ne"/> with trailing 1s
/// dropped, reversed (<see cref="DumpTensorNames.ShapeFromNe"/>), or <c>[ByteLength]</c> for raw (quantized) data.
/// </summary>
public sealed record DumpTensorEntry
{
    /// <summary>The tensor's unique name in this step and in the safetensors file: <see cref="DumpTensorNames.KeyFor"/>.</summary>
    public required string Key { get; init; }

    /// <summary>The producer's tensor name (llama.cpp's, e.g. <c>Qcur-0</c>), which may repeat within a step.</summary>
    public required string Name { get; init; }

    /// <summary>ggml op that produced the tensor (<c>MUL_MAT</c>, <c>ROPE</c>, <c>NONE</c> for leaves).</summary>
    public required string Op { get; init; }

    /// <summary>How many tensors with the same <see cref="Name"/> came earlier in this step.</summary>
    public required int Occurrence { get; init; }

    /// <summary>The layer from a trailing <c>-N</c> in <see cref="Name"/>, else null (<see cref="DumpTensorNames.ParseLayer"/>).</summary>
    public required int? Layer { get; init; }

    [JsonPropertyName("dtype")]
    public required DumpDType DType { get; init; }

    /// <summary>The tensor's ggml type as ggml names it (<c>f32</c>, <c>f16</c>, <c>q8_0</c>).</summary>
    public required string GgmlType { get; init; }

    /// <summary>ggml dimensions, four entries, ne[0] fastest.</summary>
    public required IReadOnlyList<long> Ne { get; init; }

    /// <summary>Row-major shape as declared in the safetensors header.</summary>
    public required IReadOnlyList<long> Shape { get; init; }

    /// <summary>
    /// True when the source tensor was a non-contiguous view (permute, transpose, strided view) that the producer
    /// gathered into row-major order before writing, i.e. the bytes are not a copy of the tensor's memory.
    /// </summary>
    public required bool MadeContiguous { get; init; }

    /// <summary>Offset of the first byte in the safetensors data section (after the 8-byte length and the header).</summary>
    public required long ByteOffset { get; init; }

    public required long ByteLength { get; init; }

    /// <summary>Number of elements of <see cref="DType"/> (bytes for raw data).</summary>
    [JsonIgnore]
    public long ElementCount => ByteLength / DumpDTypes.ElementSize(DType);

    /// <summary><c>[26,4,16]</c>, the spelling used in messages.</summary>
    public static string FormatDims(IEnumerable<long> dims) => "[" + string.Join(",", dims) + "]";
}
