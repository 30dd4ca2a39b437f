namespace Parity.Engine.Tests.Tokenizer;

/// <summary>Paths of the tokenizer fixtures, relative to the shared fixture directory.</summary>
internal static class TokenizerPaths
{
    public const string LlamaSpmVocab = "tokenizer/ggml-vocab-llama-spm.gguf";
}
