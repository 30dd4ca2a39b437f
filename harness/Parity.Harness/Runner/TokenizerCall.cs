namespace Parity.Harness.Runner;

/// <summary>
/// One call of <see cref="LlamaCppRunner.TokenizeBatchAsync"/>: <see cref="Text"/> through <c>llama_tokenize</c>, then
/// <see cref="Detokenize"/> (or, when null, the ids just produced) through <c>llama_detokenize</c>.
/// </summary>
/// <param name="Text">UTF-8 bytes; they need not be valid UTF-8.</param>
public sealed record TokenizerCall(
    byte[] Text,
    bool AddSpecial,
    bool ParseSpecial,
    bool RemoveSpecial = false,
    bool UnparseSpecial = false,
    IReadOnlyList<int>? Detokenize = null);

/// <summary>What llama.cpp answered to one <see cref="TokenizerCall"/>: the token ids and the detokenized bytes.</summary>
public sealed record TokenizerCallResult(int[] Tokens, byte[] Text);
