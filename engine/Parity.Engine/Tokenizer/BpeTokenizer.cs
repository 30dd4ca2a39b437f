namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's byte-level BPE tokenizer (<c>LLAMA_VOCAB_TYPE_BPE</c>, <c>tokenizer.ggml.model = gpt2</c>):
/// special tokens are cut out first, the rest is split into words by the pre-tokenizer <c>tokenizer.ggml.pre</c>
/// names, every word's bytes are spelled with GPT-2's byte-to-unicode characters and merged by rank. Detokenization
/// maps the characters back to bytes and, where the pre-tokenizer asks for it, applies llama.cpp's clean-up of
/// spaces before punctuation.
/// </summary>
public sealed class BpeTokenizer : ITokenizer
{
    private readonly BpeSettings _bpe;
    private readonly int[] _singleByteTokens;

    public BpeTokenizer(Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Vocabulary = vocabulary;
        _bpe = vocabulary.Bpe ?? throw new VocabularyException(vocabulary.SourcePath, "tokenizer.ggml.model is 'llama' (SentencePiece), not byte-level BPE; Tokenizers.Load picks the right tokenizer");

        // The fallback for a symbol that is no token: each raw byte looked up as a one-byte token text.
        _singleByteTokens = [.. Enumerable.Range(0, 256).Select(b => vocabulary.Find(new[] { (byte)b }))];
    }

    public Vocabulary Vocabulary { get; }

    /// <summary>Token ids for <paramref name="utf8"/> (<c>llama_vocab::impl::tokenize</c>, BPE branch).</summary>
    public int[] Tokenize(ReadOnlySpan<byte> utf8, bool addSpecial, bool parseSpecial)
    {
        var vocab = Vocabulary;
        var output = new List<int>(utf8.Length / 3 + 2);
        var session = new BpeSession(vocab, _singleByteTokens);
        if (addSpecial && vocab.AddBos)
        {
            output.Add(vocab.BosId);
        }

        foreach (var fragment in SpecialTokenPartitioner.Partition(vocab, utf8, parseSpecial))
        {
            if (fragment.IsText)
            {
                var (encoded, words) = PreTokenize(utf8.Slice(fragment.Offset, fragment.Length));
                session.Tokenize(encoded, words, output);
            }
            else
            {
                output.Add(fragment.Token);
            }
        }

        if (addSpecial && vocab.AddEos)
        {
            output.Add(vocab.EosId);
        }

        return [.. output];
    }

    /// <summary>The bytes of one token (<c>llama_token_to_piece</c>); control and unknown tokens are empty unless <paramref name="special"/>.</summary>
    public byte[] TokenToPiece(int token, bool special, int lstrip = 0) => Pieces.Of(Vocabulary, token, special, lstrip);

    /// <summary>
    /// Text for token ids (<c>llama_detokenize</c>): one leading BOS and one trailing EOS dropped when
    /// <paramref name="removeSpecial"/> and the vocabulary adds them, pieces joined, then the clean-up of spaces.
    /// </summary>
    public byte[] DetokenizeToBytes(IReadOnlyList<int> tokens, bool removeSpecial, bool unparseSpecial)
    {
        var bytes = Pieces.Join(Vocabulary, tokens, removeSpecial, unparseSpecial);
        return _bpe.PreTokenizer.CleanSpaces ? SpaceCleaner.Clean(bytes) : bytes;
    }

    /// <summary>
    /// The pre-tokenizer's words, each spelled in GPT-2 byte characters (<c>unicode_regex_split</c> with byte
    /// encoding): invalid UTF-8 has become U+FFFD by then, so its bytes are those of U+FFFD.
    /// </summary>
    private (byte[] Encoded, List<(int Offset, int Length)> Words) PreTokenize(ReadOnlySpan<byte> text)
    {
        var cpts = Codepoints.FromUtf8(text);
        var lengths = _bpe.PreTokenizer.Words(cpts);
        var encoded = new List<byte>(text.Length * 2);
        var words = new List<(int, int)>(lengths.Count);
        Span<byte> utf8 = stackalloc byte[4];
        var c = 0;
        foreach (var length in lengths)
        {
            var start = encoded.Count;
            for (var end = c + length; c < end; c++)
            {
                foreach (var b in utf8[..Codepoints.ToUtf8(cpts[c], utf8)])
                {
                    encoded.AddRange(ByteLevel.Encode(b));
                }
            }

            words.Add((start, encoded.Count - start));
        }

        return ([.. encoded], words);
    }
}
