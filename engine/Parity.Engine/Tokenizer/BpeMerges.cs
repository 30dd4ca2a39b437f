using System.Text;

namespace Parity.Engine.Tokenizer;

/// <summary>
/// <c>tokenizer.ggml.merges</c> as llama.cpp's <c>bpe_ranks</c>: "left right" at index i gives the pair rank i.
/// Each side is interned as a small integer so a pair lookup in the merge loop allocates nothing.
/// </summary>
internal sealed class BpeMerges
{
    private readonly Dictionary<ReadOnlyMemory<byte>, int> _pieces = new(ByteSequenceComparer.Instance);
    private readonly Dictionary<long, int> _ranks = [];

    public BpeMerges(IReadOnlyList<string> merges)
    {
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = Parse(merges[rank]);
            // std::unordered_map::emplace keeps the first rank of a repeated pair.
            _ranks.TryAdd(Key(Intern(left), Intern(right)), rank);
        }
    }

    public int Count => _ranks.Count;

    /// <summary>The id of a merge side with this text, or -1 if no merge mentions it.</summary>
    public int Piece(ReadOnlyMemory<byte> text) => _pieces.TryGetValue(text, out var id) ? id : -1;

    /// <summary>The rank of merging <paramref name="left"/> with <paramref name="right"/> (piece ids), or -1.</summary>
    public int Rank(int left, int right) => left < 0 || right < 0 ? -1 : _ranks.GetValueOrDefault(Key(left, right), -1);

    /// <summary>
    /// llama.cpp splits at the first space after the first character (<c>find(' ', 1)</c>), so a merge of a space
    /// token itself still parses; a line without such a space becomes the pair ("", "").
    /// </summary>
    private static (byte[] Left, byte[] Right) Parse(string merge)
    {
        var bytes = Encoding.UTF8.GetBytes(merge);
        var space = bytes.Length > 1 ? bytes.AsSpan(1).IndexOf((byte)' ') : -1;
        return space < 0 ? ([], []) : (bytes[..(space + 1)], bytes[(space + 2)..]);
    }

    private int Intern(byte[] text)
    {
        if (!_pieces.TryGetValue(text, out var id))
        {
            id = _pieces.Count;
            _pieces.Add(text, id);
        }

        return id;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
