namespace Parity.Gguf;

/// <summary>
/// A tensor's entry in the GGUF header. <see cref="Dimensions"/> are in ggml <c>ne</c> order: ne[0] is the
/// fastest-moving (row length), so a matrix <c>[n_embd, n_vocab]</c> has <c>n_vocab</c> rows of <c>n_embd</c>.
/// </summary>
public sealed record GgufTensorInfo(
    string Name,
    GgmlType Type,
    IReadOnlyList<long> Dimensions,
    ulong RelativeOffset,
    long FileOffset,
    long ElementCount,
    long ByteSize)
{
    /// <summary>Row length (ne[0]).</summary>
    public long RowLength => Dimensions.Count > 0 ? Dimensions[0] : 1;

    /// <summary>Number of rows: the product of ne[1..].</summary>
    public long RowCount => RowLength == 0 ? 0 : ElementCount / RowLength;

    public GgmlTypeInfo TypeInfo => GgmlTypeInfo.Get(Type);

    public string ShapeString => "[" + string.Join(", ", Dimensions) + "]";
}
