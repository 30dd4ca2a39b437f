namespace Parity.Engine.Tokenizer;

/// <summary>
/// What every llama.cpp tokenizer shares on the way back to text: <c>llama_token_to_piece</c> over the vocabulary's
/// rendered pieces, and <c>llama_detokenize</c>'s framing (BOS/EOS removal, the first piece's space). A tokenizer then
/// applies its own clean-up, if any.
/// </summary>
internal static class Pieces
{
    /// <summary>The bytes of one token; control and unknown tokens are empty unless <paramref name="special"/>; up to <paramref name="lstrip"/> leading spaces dropped.</summary>
    public static byte[] Of(Vocabulary vocab, int token, bool special, int lstrip)
    {
        vocab.CheckToken(token);
        if (!special && (vocab.Attributes[token] & (TokenAttributes.Unknown | TokenAttributes.Control)) != 0)
        {
            return [];
        }

        var piece = vocab.Piece(token);
        for (var i = 0; i < lstrip && !piece.IsEmpty && piece[0] == ' '; i++)
        {
            piece = piece[1..];
        }

        return piece.ToArray();
    }

    /// <summary>
    /// The pieces of <paramref name="tokens"/> joined: one leading BOS and one trailing EOS dropped when
    /// <paramref name="removeSpecial"/> and the vocabulary adds them; with the space prefix on, the first piece loses
    /// one leading space, but only if it is the first token (a BOS in front, rendered or removed, keeps the space).
    /// </summary>
    public static byte[] Join(Vocabulary vocab, IReadOnlyList<int> tokens, bool removeSpecial, bool unparseSpecial)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var first = 0;
        var end = tokens.Count;
        var removeSpace = vocab.AddSpacePrefix;
        if (removeSpecial && vocab.AddBos && end > 0 && tokens[0] == vocab.BosId)
        {
            removeSpace = false;
            first = 1;
        }

        if (removeSpecial && vocab.AddEos && end > first && tokens[end - 1] == vocab.EosId)
        {
            end--;
        }

        var text = new List<byte>();
        for (var i = first; i < end; i++)
        {
            text.AddRange(Of(vocab, tokens[i], unparseSpecial, removeSpace ? 1 : 0));
            removeSpace = false;
        }

        return [.. text];
    }
}
