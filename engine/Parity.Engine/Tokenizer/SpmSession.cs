namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's SentencePiece merge (<c>llm_tokenizer_spm_session::tokenize</c>) on one escaped text fragment:
/// split into UTF-8 characters, then repeatedly merge the adjacent pair whose concatenation is the best-scoring
/// token, until no adjacent pair forms a token. Candidates sit in a priority queue and are checked for staleness
/// when popped, so a text of n characters costs O(n log n), not O(n^2).
/// </summary>
internal static class SpmSession
{
    /// <summary>Byte length of a UTF-8 sequence from its first byte (<c>unicode_len_utf8</c>); a stray continuation byte counts as 1.</summary>
    private static ReadOnlySpan<byte> Utf8Length => [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4];

    public static void Tokenize(Vocabulary vocab, ReadOnlyMemory<byte> text, List<int> output)
    {
        var bytes = text.Span;
        if (bytes.IsEmpty)
        {
            return;
        }

        // One symbol per character; a sequence cut short by the end of the text keeps the bytes that are there.
        var chain = new SpmSymbol[bytes.Length];
        var count = 0;
        for (var offset = 0; offset < bytes.Length; count++)
        {
            var length = Math.Min(Utf8Length[bytes[offset] >> 4], bytes.Length - offset);
            chain[count] = new SpmSymbol { Start = offset, Length = length, Prev = count - 1, Next = offset + length == bytes.Length ? -1 : count + 1 };
            offset += length;
        }

        var queue = new PriorityQueue<SpmBigram, SpmBigram>(count, SpmBigramOrder.Instance);
        for (var i = 1; i < count; i++)
        {
            TryAddBigram(vocab, text, chain, queue, i - 1, i);
        }

        // A popped candidate is live only if both symbols still have the lengths it was queued with: symbols only grow
        // (or drop to 0 when merged away), so any change shows in the sum. For the same reason two live candidates
        // never share a left symbol, which makes the order among equal (score, left) irrelevant.
        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref chain[bigram.Left];
            ref var right = ref chain[bigram.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size)
            {
                continue;
            }

            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                chain[right.Next].Prev = bigram.Left;
            }

            TryAddBigram(vocab, text, chain, queue, left.Prev, bigram.Left);
            TryAddBigram(vocab, text, chain, queue, bigram.Left, left.Next);
        }

        for (var i = 0; i != -1; i = chain[i].Next)
        {
            Resegment(vocab, text, chain[i], output);
        }
    }

    /// <summary>
    /// Emits one final symbol: its token, or its bytes as byte tokens. llama.cpp's <c>resegment</c> also consults a
    /// <c>rev_merge</c> map to split a symbol back into the pair it came from, but that map only ever holds texts that
    /// are tokens and is only asked about texts that are not, so the split never happens and is left out here.
    /// </summary>
    private static void Resegment(Vocabulary vocab, ReadOnlyMemory<byte> text, SpmSymbol symbol, List<int> output)
    {
        var piece = text.Slice(symbol.Start, symbol.Length);
        var token = vocab.Find(piece);
        if (token != Vocabulary.NoToken)
        {
            output.Add(token);
            return;
        }

        foreach (var b in piece.Span)
        {
            output.Add(vocab.ByteToToken(b));
        }
    }

    private static void TryAddBigram(Vocabulary vocab, ReadOnlyMemory<byte> text, SpmSymbol[] chain, PriorityQueue<SpmBigram, SpmBigram> queue, int left, int right)
    {
        if (left == -1 || right == -1)
        {
            return;
        }

        // Adjacent symbols are adjacent in the text, so the pair is one contiguous slice.
        var size = chain[left].Length + chain[right].Length;
        var token = vocab.Find(text.Slice(chain[left].Start, size));
        if (token == Vocabulary.NoToken)
        {
            return;
        }

        var bigram = new SpmBigram(left, right, vocab.Score(token), size);
        queue.Enqueue(bigram, bigram);
    }
}
