namespace Parity.Engine.Tokenizer;

/// <summary>What a byte-level BPE vocabulary adds to the token list: its <c>tokenizer.ggml.pre</c> and its merges.</summary>
/// <param name="Pre">The <c>tokenizer.ggml.pre</c> value as written (empty when the key is absent).</param>
internal sealed record BpeSettings(string Pre, BpePreTokenizer PreTokenizer, BpeMerges Merges);
