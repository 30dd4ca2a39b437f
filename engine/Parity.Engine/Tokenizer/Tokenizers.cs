using Parity.Gguf;

namespace Parity.Engine.Tokenizer;

/// <summary>Picks the tokenizer a GGUF file asks for by <c>tokenizer.ggml.model</c>, as llama.cpp's vocabulary load does.</summary>
public static class Tokenizers
{
    /// <summary>The tokenizer of the GGUF file at <paramref name="path"/>; <see cref="VocabularyException"/> naming
    /// the model or pre-tokenizer when the engine does not implement it.</summary>
    public static ITokenizer Load(string path)
    {
        using var file = GgufFile.Open(path);
        return FromGguf(file);
    }

    /// <summary>SentencePiece for <c>llama</c>, byte-level BPE for <c>gpt2</c>; anything else is refused by the vocabulary load.</summary>
    public static ITokenizer FromGguf(GgufFile file)
    {
        var vocabulary = Vocabulary.FromGguf(file);
        return vocabulary.IsBytePairEncoding ? new BpeTokenizer(vocabulary) : new SpmTokenizer(vocabulary);
    }
}
