namespace Parity.Engine.Tokenizer;

/// <summary>
/// Compares byte sequences by content. llama.cpp looks tokens up by their raw UTF-8 bytes (any byte string,
/// valid UTF-8 or not), so the vocabulary is keyed by bytes; slices of the text being tokenized are looked up
/// without copying them.
/// </summary>
internal sealed class ByteSequenceComparer : IEqualityComparer<ReadOnlyMemory<byte>>
{
    public static ByteSequenceComparer Instance { get; } = new();

    public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

    public int GetHashCode(ReadOnlyMemory<byte> obj)
    {
        var hash = default(HashCode);
        hash.AddBytes(obj.Span);
        return hash.ToHashCode();
    }
}
