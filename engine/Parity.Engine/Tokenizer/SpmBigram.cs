namespace Parity.Engine.Tokenizer;

/// <summary>
/// A candidate merge of two adjacent symbols (llama.cpp's <c>llm_bigram_spm</c>). <see cref="Size"/> is the byte
/// length of the pair when it was queued; if either symbol has changed since, the lengths no longer add up and the
/// candidate is stale.
/// </summary>
internal readonly record struct SpmBigram(int Left, int Right, float Score, int Size);
