using System.Text;

namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's SentencePiece tokenizer (<c>LLAMA_VOCAB_TYPE_SPM</c>): <c>llama_tokenize</c>,
/// <c>llama_token_to_piece</c> and <c>llama_detokenize</c>, byte for byte. Text is handled as UTF-8 bytes throughout;
/// the <see cref="string"/> overloads encode with <see cref="Encoding.UTF8"/> (lone surrogates become U+FFFD), which is
/// what a .NET caller of llama.cpp passes too.
/// </summary>
public sealed class SpmTokenizer : ITokenizer
{
    private static readonly byte[] SpaceMarkerUtf8 = [0xE2, 0x96, 0x81];

    public SpmTokenizer(Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Vocabulary = vocabulary.IsBytePairEncoding
            ? throw new VocabularyException(vocabulary.SourcePath, "tokenizer.ggml.model is 'gpt2' (byte-level BPE), not SentencePiece; Tokenizers.Load picks the right tokenizer")
            : vocabulary;
    }

    public Vocabulary Vocabulary { get; }

    /// <summary>Reads the vocabulary of a GGUF file; <see cref="VocabularyException"/> if it is not SentencePiece.</summary>
    public static SpmTokenizer Load(string path) => new(Vocabulary.Load(path));

    /// <inheritdoc cref="Tokenize(ReadOnlySpan{byte}, bool, bool)"/>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Tokenize(Encoding.UTF8.GetBytes(text), addSpecial, parseSpecial);
    }

    /// <summary>
    /// Token ids for <paramref name="utf8"/> (<c>llama_vocab::impl::tokenize</c>, SPM branch).
    /// <paramref name="addSpecial"/> adds BOS/EOS as the vocabulary asks; <paramref name="parseSpecial"/> lets the text
    /// spell control tokens such as <c>&lt;/s&gt;</c>.
    /// </summary>
    public int[] Tokenize(ReadOnlySpan<byte> utf8, bool addSpecial, bool parseSpecial)
    {
        var vocab = Vocabulary;
        var output = new List<int>(utf8.Length / 3 + 2);
        var fragments = SpecialTokenPartitioner.Partition(vocab, utf8, parseSpecial);

        // The first text fragment, and every text fragment right after a special token, gets the space prefix:
        // "is_prev_special" starts true whether or not BOS is added.
        var isPrevSpecial = true;
        if (addSpecial && vocab.AddBos)
        {
            output.Add(vocab.BosId);
        }

        foreach (var fragment in fragments)
        {
            if (fragment.IsText)
            {
                var escaped = Escape(utf8.Slice(fragment.Offset, fragment.Length), vocab.AddSpacePrefix && isPrevSpecial);
                SpmSession.Tokenize(vocab, escaped, output);
                isPrevSpecial = false;
            }
            else
            {
                output.Add(fragment.Token);
                isPrevSpecial = true;
            }
        }

        if (addSpecial && vocab.AddEos)
        {
            output.Add(vocab.EosId);
        }

        return [.. output];
    }

    /// <summary>
    /// The bytes of one token (<c>llama_token_to_piece</c>): ▁ becomes a space, <c>&lt;0xNN&gt;</c> the byte NN (which
    /// may be part of a multi-byte character), control and unknown tokens nothing unless <paramref name="special"/>.
    /// Up to <paramref name="lstrip"/> leading spaces are dropped.
    /// </summary>
    public byte[] TokenToPiece(int token, bool special, int lstrip = 0) => Pieces.Of(Vocabulary, token, special, lstrip);

    /// <summary>
    /// Text for token ids (<c>llama_detokenize</c>) as UTF-8 bytes. With the space prefix on, the first piece loses one
    /// leading space, but only if it is the first token: a BOS in front, rendered or removed, keeps the space.
    /// <paramref name="removeSpecial"/> drops one leading BOS and one trailing EOS when the vocabulary adds them;
    /// <paramref name="unparseSpecial"/> renders control and unknown tokens as their text.
    /// </summary>
    public byte[] DetokenizeToBytes(IReadOnlyList<int> tokens, bool removeSpecial, bool unparseSpecial) =>
        Pieces.Join(Vocabulary, tokens, removeSpecial, unparseSpecial); // clean_spaces is off for every SentencePiece vocabulary

    /// <summary><see cref="DetokenizeToBytes"/> decoded as UTF-8; invalid sequences (a lone byte token) become U+FFFD.</summary>
    public string Detokenize(IReadOnlyList<int> tokens, bool removeSpecial, bool unparseSpecial) =>
        Encoding.UTF8.GetString(DetokenizeToBytes(tokens, removeSpecial, unparseSpecial));

    /// <summary>The fragment with an optional leading space, every space as ▁ (llama_escape_whitespace).</summary>
    private static byte[] Escape(ReadOnlySpan<byte> raw, bool spacePrefix)
    {
        var markers = raw.Count((byte)' ') + (spacePrefix ? 1 : 0);
        var result = new byte[raw.Length - raw.Count((byte)' ') + markers * SpaceMarkerUtf8.Length];
        var o = 0;
        if (spacePrefix)
        {
            SpaceMarkerUtf8.CopyTo(result, o);
            o += SpaceMarkerUtf8.Length;
        }

        foreach (var b in raw)
        {
            if (b == ' ')
            {
                SpaceMarkerUtf8.CopyTo(result, o);
                o += SpaceMarkerUtf8.Length;
            }
            else
            {
                result[o++] = b;
            }
        }

        return result;
    }
}
