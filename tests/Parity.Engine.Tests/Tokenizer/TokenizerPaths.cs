namespace Parity.Engine.Tests.Tokenizer;

/// <summary>Paths of the tokenizer fixtures, relative to the shared fixture directory.</summary>
internal static class TokenizerPaths
{
    public const string LlamaSpmVocab = "tokenizer/ggml-vocab-llama-spm.gguf";

    /// <summary>One of llama.cpp's test vocabularies, by the name in its file (<c>ggml-vocab-NAME.gguf</c>).</summary>
    public static string Vocab(string name) => $"tokenizer/ggml-vocab-{name}.gguf";

    /// <summary>One of the tiny BPE vocabularies (<c>small-bpe/vocab-bpe-NAME.gguf</c>).</summary>
    public static string SmallBpe(string name) => $"tokenizer/small-bpe/vocab-bpe-{name}.gguf";
}
