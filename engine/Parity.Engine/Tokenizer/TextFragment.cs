namespace Parity.Engine.Tokenizer;

/// <summary>
/// A piece of the input after the special-token pass (llama.cpp's <c>fragment_buffer_variant</c>): either a special
/// token already recognised, or a byte range of the raw text still to be tokenized.
/// </summary>
internal readonly record struct TextFragment(int Token, int Offset, int Length)
{
    public bool IsText => Token == Vocabulary.NoToken;

    public static TextFragment Text(int offset, int length) => new(Vocabulary.NoToken, offset, length);

    public static TextFragment Special(int token) => new(token, 0, 0);
}
