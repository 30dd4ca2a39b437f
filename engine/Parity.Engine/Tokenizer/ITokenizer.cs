using System.Text;

namespace Parity.Engine.Tokenizer;

/// <summary>
/// One of llama.cpp's tokenizers (<c>llama_vocab</c> per <c>tokenizer.ggml.model</c>): text to token ids and back, byte
/// for byte as <c>llama_tokenize</c>, <c>llama_token_to_piece</c> and <c>llama_detokenize</c> do. Text is UTF-8 bytes
/// throughout; the <see cref="string"/> overloads encode with <see cref="Encoding.UTF8"/>.
/// </summary>
public interface ITokenizer
{
    Vocabulary Vocabulary { get; }

    /// <summary>
    /// Token ids for <paramref name="utf8"/>. <paramref name="addSpecial"/> adds BOS/EOS as the vocabulary asks;
    /// <paramref name="parseSpecial"/> lets the text spell control tokens.
    /// </summary>
    int[] Tokenize(ReadOnlySpan<byte> utf8, bool addSpecial, bool parseSpecial);

    /// <summary>The bytes of one token; control and unknown tokens are empty unless <paramref name="special"/>.</summary>
    byte[] TokenToPiece(int token, bool special, int lstrip = 0);

    /// <summary>Text for token ids as UTF-8 bytes (<c>llama_detokenize</c>).</summary>
    byte[] DetokenizeToBytes(IReadOnlyList<int> tokens, bool removeSpecial, bool unparseSpecial);

    /// <inheritdoc cref="Tokenize(ReadOnlySpan{byte}, bool, bool)"/>
    int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Tokenize(Encoding.UTF8.GetBytes(text), addSpecial, parseSpecial);
    }

    /// <summary><see cref="DetokenizeToBytes"/> decoded as UTF-8; invalid sequences become U+FFFD.</summary>
    string Detokenize(IReadOnlyList<int> tokens, bool removeSpecial, bool unparseSpecial) =>
        Encoding.UTF8.GetString(DetokenizeToBytes(tokens, removeSpecial, unparseSpecial));
}
