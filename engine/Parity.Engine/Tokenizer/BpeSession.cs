namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's <c>llm_tokenizer_bpe_session</c> for one piece of text already cut into words and byte-encoded:
/// each word starts as its UTF-8 characters, and the adjacent pair with the lowest merge rank is merged until no
/// pair has a rank (a priority queue ordered by rank, then by the left symbol's position). A finished symbol that is
/// not a token falls back to its single bytes, and bytes that are not tokens either are dropped, as in llama.cpp.
/// </summary>
internal sealed class BpeSession
{
    private readonly Vocabulary _vocab;
    private readonly BpeMerges _merges;
    private readonly bool _ignoreMerges;
    private readonly int[] _singleByteTokens;
    private readonly PriorityQueue<(int Left, int Right, int Size), long> _queue = new();
    private Symbol[] _symbols = new Symbol[64];
    private byte[] _word = [];

    public BpeSession(Vocabulary vocab, int[] singleByteTokens)
    {
        _vocab = vocab;
        _merges = vocab.Bpe!.Merges;
        _ignoreMerges = vocab.Bpe.PreTokenizer.IgnoreMerges;
        _singleByteTokens = singleByteTokens;
    }

    /// <summary>Appends the tokens of the words <paramref name="words"/> (offset, length) of <paramref name="text"/>.</summary>
    public void Tokenize(byte[] text, List<(int Offset, int Length)> words, List<int> output)
    {
        _word = text;
        foreach (var (offset, length) in words)
        {
            if (length == 0)
            {
                continue;
            }

            if (_ignoreMerges && _vocab.Find(text.AsMemory(offset, length)) is var whole and not Vocabulary.NoToken)
            {
                output.Add(whole);
                continue;
            }

            var count = Seed(offset, length);
            Merge();
            Emit(output);
        }
    }

    /// <summary>One symbol per UTF-8 character (its lead byte's length, cut short at the end of the word).</summary>
    private int Seed(int offset, int length)
    {
        var count = 0;
        for (var at = offset; at < offset + length; count++)
        {
            var n = Math.Min(Utf8Length(_word[at]), offset + length - at);
            if (count == _symbols.Length)
            {
                Array.Resize(ref _symbols, count * 2);
            }

            _symbols[count] = new Symbol(at, n, count - 1, at + n == offset + length ? -1 : count + 1, _merges.Piece(_word.AsMemory(at, n)));
            at += n;
        }

        for (var i = 1; i < count; i++)
        {
            AddPair(i - 1, i);
        }

        return count;
    }

    private void Merge()
    {
        while (_queue.TryDequeue(out var pair, out _))
        {
            ref var left = ref _symbols[pair.Left];
            ref var right = ref _symbols[pair.Right];

            // Symbols only grow or vanish, so a pair whose combined length changed is outdated.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != pair.Size)
            {
                continue;
            }

            left.Length += right.Length;
            left.Piece = _merges.Piece(_word.AsMemory(left.Start, left.Length));
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                _symbols[right.Next].Prev = pair.Left;
            }

            AddPair(left.Prev, pair.Left);
            AddPair(pair.Left, left.Next);
        }
    }

    private void Emit(List<int> output)
    {
        for (var i = 0; i != -1; i = _symbols[i].Next)
        {
            var symbol = _symbols[i];
            var token = _vocab.Find(_word.AsMemory(symbol.Start, symbol.Length));
            if (token != Vocabulary.NoToken)
            {
                output.Add(token);
                continue;
            }

            foreach (var b in _word.AsSpan(symbol.Start, symbol.Length))
            {
                if (_singleByteTokens[b] != Vocabulary.NoToken)
                {
                    output.Add(_singleByteTokens[b]);
                }
            }
        }
    }

    private void AddPair(int left, int right)
    {
        if (left < 0 || right < 0)
        {
            return;
        }

        var rank = _merges.Rank(_symbols[left].Piece, _symbols[right].Piece);
        if (rank >= 0)
        {
            _queue.Enqueue((left, right, _symbols[left].Length + _symbols[right].Length), ((long)rank << 32) | (uint)left);
        }
    }

    /// <summary>llama.cpp's <c>unicode_len_utf8</c>: the sequence length a lead byte announces (1 for a stray continuation byte).</summary>
    private static int Utf8Length(byte lead) => (lead >> 4) switch
    {
        < 12 => 1,
        12 or 13 => 2,
        14 => 3,
        _ => 4,
    };

    private record struct Symbol(int Start, int Length, int Prev, int Next, int Piece);
}
