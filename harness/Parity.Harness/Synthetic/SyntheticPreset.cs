namespace Parity.Harness.Synthetic;

/// <summary>The vocabulary a synthetic model carries.</summary>
public enum SyntheticTokenizer
{
    /// <summary>SentencePiece (<c>llama</c>) as Llama 2 and TinyLlama, with the Zephyr chat template.</summary>
    SentencePiece,

    /// <summary>Byte-level BPE (<c>gpt2</c>, <c>pre = llama-bpe</c>) as Llama 3, with Llama 3's chat template.</summary>
    Llama3Bpe,

    /// <summary>Byte-level BPE (<c>gpt2</c>, <c>pre = qwen2</c>) as Qwen2 and Qwen2.5, with ChatML.</summary>
    Qwen2Bpe,

    /// <summary>SentencePiece (<c>llama</c>) with Phi-3's added control tokens and its chat template.</summary>
    Phi3SentencePiece,

    /// <summary>
    /// SentencePiece (<c>llama</c>) in Gemma's layout: <c>&lt;pad&gt;</c>, <c>&lt;eos&gt;</c>, <c>&lt;bos&gt;</c>,
    /// <c>&lt;unk&gt;</c> first, <c>&lt;start_of_turn&gt;</c>/<c>&lt;end_of_turn&gt;</c> at 106/107, no space prefix, with
    /// Gemma's chat template.
    /// </summary>
    GemmaSentencePiece,
}

/// <summary>
/// Llama 3.1's RoPE scaling, which conversion turns into per-pair frequency factors (<c>rope_freqs.weight</c>):
/// wavelengths shorter than original_context / high_freq_factor keep their frequency, longer than
/// original_context / low_freq_factor are divided by factor, and those between are blended.
/// </summary>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalContext)
{
    /// <summary>The factors for <paramref name="headDim"/> rotated dimensions at base <paramref name="freqBase"/>.</summary>
    public float[] Factors(int headDim, double freqBase)
    {
        var lowWavelength = OriginalContext / LowFreqFactor;
        var highWavelength = OriginalContext / HighFreqFactor;
        var factors = new float[headDim / 2];
        for (var i = 0; i < factors.Length; i++)
        {
            var wavelength = 2 * Math.PI * Math.Pow(freqBase, 2.0 * i / headDim);
            var smooth = ((OriginalContext / wavelength) - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
            factors[i] = (float)(wavelength < highWavelength ? 1 : wavelength > lowWavelength ? Factor : 1 / (((1 - smooth) / Factor) + smooth));
        }

        return factors;
    }
}

/// <summary>
/// The shape of a synthetic model (llama, qwen2, qwen3, qwen3moe, phi3, gemma2 or gemma3). Dimensions follow llama.cpp's names: <c>n_embd</c>, <c>n_ff</c>, ...
/// </summary>
public sealed record SyntheticPreset
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>
    /// <c>general.architecture</c> of the generated file, which also picks the graph descriptor its weight tensors come
    /// from.
    /// </summary>
    public string Architecture { get; init; } = "llama";

    public required int NEmbd { get; init; }

    public required int NFf { get; init; }

    public required int NLayer { get; init; }

    public required int NHead { get; init; }

    public required int NHeadKv { get; init; }

    public required int VocabSize { get; init; }

    public int ContextLength { get; init; } = 2048;

    public float RmsEpsilon { get; init; } = 1e-5f;

    public float RopeFreqBase { get; init; } = 10000f;

    /// <summary>When true the file has no <c>output.weight</c> and the LM head is the token embedding matrix.</summary>
    public bool TiedEmbeddings { get; init; }

    public SyntheticTokenizer Tokenizer { get; init; } = SyntheticTokenizer.SentencePiece;

    /// <summary>Special tokens at the end of a BPE vocabulary, or added tokens after Phi-3's (part of <see cref="VocabSize"/>).</summary>
    public int SpecialTokens { get; init; } = 256;

    /// <summary>When set, the file carries <c>rope_freqs.weight</c> computed from it.</summary>
    public Llama3RopeScaling? RopeScaling { get; init; }

    /// <summary>
    /// <c>attention.key_length</c> (and value_length) when the head size is not <c>n_embd / n_head</c> (Qwen3); the
    /// file then carries both keys.
    /// </summary>
    public int? KeyLength { get; init; }

    public int HeadDim => KeyLength ?? NEmbd / NHead;

    /// <summary>Experts of a mixture-of-experts FFN (0: a dense FFN).</summary>
    public int ExpertCount { get; init; }

    /// <summary>Experts each token is routed to (top-k).</summary>
    public int ExpertUsedCount { get; init; }

    /// <summary>One expert's FFN width.</summary>
    public int ExpertFeedForwardLength { get; init; }

    /// <summary><c>attention.sliding_window</c> (Gemma): the tokens a sliding-window layer attends; null writes no key.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary><c>attention.sliding_window_pattern</c>: every n-th layer is global, the others slide; null writes no key.</summary>
    public int? SlidingWindowPattern { get; init; }

    /// <summary><c>attn_logit_softcapping</c> (Gemma 2): the attention scores' tanh cap; null writes no key.</summary>
    public float? AttnLogitSoftcapping { get; init; }

    /// <summary><c>final_logit_softcapping</c> (Gemma 2): the logits' tanh cap; null writes no key.</summary>
    public float? FinalLogitSoftcapping { get; init; }

    /// <summary>n_head × head_dim: the width of Q and of the attention output.</summary>
    public int NEmbdQ => HeadDim * NHead;

    public int NEmbdKv => HeadDim * NHeadKv;

    /// <summary>Bytes of all weights in F32, for size estimates.</summary>
    public long F32Bytes =>
        4L * ((long)VocabSize * NEmbd * (TiedEmbeddings ? 1 : 2) + NEmbd
              + (long)NLayer * (2L * NEmbd + 2L * NEmbd * NEmbdQ + 2L * NEmbd * NEmbdKv + 3L * NEmbd * NFf));
}
