namespace Parity.Harness.Synthetic;

/// <summary>The built-in synthetic model shapes.</summary>
public static class SyntheticPresets
{
    /// <summary>
    /// TinyLlama's structure scaled down for tests: head_dim 64 and 8 query heads per KV head as in TinyLlama,
    /// two KV heads so a wrong GQA mapping shows, every row length a multiple of 256 so every K-quant applies.
    /// </summary>
    public static SyntheticPreset TinyLlamaMini { get; } = new()
    {
        Name = "tinyllama-mini",
        Description = "TinyLlama scaled down for tests: 4 layers, n_embd 1024, 16 heads / 2 KV heads (GQA 8), head_dim 64, n_ff 2816, vocab 2048",
        NEmbd = 1024,
        NFf = 2816,
        NLayer = 4,
        NHead = 16,
        NHeadKv = 2,
        VocabSize = 2048,
    };

    /// <summary>TinyLlama 1.1B's exact shapes, for benchmarks. About 4.4 GB in F32: generated on demand, never committed.</summary>
    public static SyntheticPreset TinyLlama11BShape { get; } = new()
    {
        Name = "tinyllama-1.1b-shape",
        Description = "TinyLlama 1.1B's shapes: 22 layers, n_embd 2048, 32 heads / 4 KV heads, n_ff 5632, vocab 32000",
        NEmbd = 2048,
        NFf = 5632,
        NLayer = 22,
        NHead = 32,
        NHeadKv = 4,
        VocabSize = 32000,
    };

    /// <summary>Llama 2 7B's shapes (multi-head attention, no GQA). About 27 GB in F32.</summary>
    public static SyntheticPreset Llama27BShape { get; } = new()
    {
        Name = "llama2-7b-shape",
        Description = "Llama 2 7B's shapes: 32 layers, n_embd 4096, 32 heads (MHA), n_ff 11008, vocab 32000",
        NEmbd = 4096,
        NFf = 11008,
        NLayer = 32,
        NHead = 32,
        NHeadKv = 32,
        VocabSize = 32000,
        ContextLength = 4096,
    };

    /// <summary>The smallest model that still has every feature (GQA, two layers, K-quant-able rows): for fast unit tests.</summary>
    public static SyntheticPreset Micro { get; } = new()
    {
        Name = "micro",
        Description = "Smallest complete model for unit tests: 2 layers, n_embd 256, 4 heads / 2 KV heads, head_dim 64, n_ff 512, vocab 512",
        NEmbd = 256,
        NFf = 512,
        NLayer = 2,
        NHead = 4,
        NHeadKv = 2,
        VocabSize = 512,
    };

    /// <summary>Llama 3.1/3.2's RoPE scaling (rope_type llama3) as their configs give it.</summary>
    public static Llama3RopeScaling Llama3Scaling { get; } = new(Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192);

    /// <summary>
    /// Llama 3.2's structure scaled down for tests: head_dim 64, 4 query heads per KV head, n_ff 4 x n_embd, tied
    /// embeddings, rope_freqs factors, freq_base 500000 and a byte-level BPE vocabulary with Llama 3's special tokens.
    /// </summary>
    public static SyntheticPreset Llama3Mini { get; } = new()
    {
        Name = "llama3-mini",
        Description = "Llama 3.2 scaled down for tests: 4 layers, n_embd 1024, 16 heads / 4 KV heads (GQA 4), head_dim 64, n_ff 4096, BPE vocab 2304 (256 special), tied embeddings, rope_freqs",
        NEmbd = 1024,
        NFf = 4096,
        NLayer = 4,
        NHead = 16,
        NHeadKv = 4,
        VocabSize = 2304,
        ContextLength = 8192,
        RopeFreqBase = 500000f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.Llama3Bpe,
        RopeScaling = Llama3Scaling,
    };

    /// <summary>Llama 3.2 1B's exact shapes, for benchmarks. About 4.9 GB in F32: generated on demand, never committed.</summary>
    public static SyntheticPreset Llama32OneBShape { get; } = new()
    {
        Name = "llama3.2-1b-shape",
        Description = "Llama 3.2 1B's shapes: 16 layers, n_embd 2048, 32 heads / 8 KV heads, head_dim 64, n_ff 8192, BPE vocab 128256, tied embeddings, rope_freqs",
        NEmbd = 2048,
        NFf = 8192,
        NLayer = 16,
        NHead = 32,
        NHeadKv = 8,
        VocabSize = 128256,
        ContextLength = 131072,
        RopeFreqBase = 500000f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.Llama3Bpe,
        RopeScaling = Llama3Scaling,
    };

    /// <summary>
    /// Qwen2.5's structure scaled down for tests: Q, K and V biases, NEOX RoPE at freq_base 1e6, RMS epsilon 1e-6,
    /// 6 query heads per KV head, tied embeddings, a byte-level BPE vocabulary (<c>pre = qwen2</c>) with ChatML.
    /// </summary>
    public static SyntheticPreset Qwen2Mini { get; } = new()
    {
        Name = "qwen2-mini",
        Description = "Qwen2.5 scaled down for tests: 4 layers, n_embd 768, 12 heads / 2 KV heads (GQA 6), head_dim 64, n_ff 2048, Q/K/V biases, NEOX RoPE base 1e6, BPE vocab 2304 (256 special), tied embeddings",
        Architecture = "qwen2",
        NEmbd = 768,
        NFf = 2048,
        NLayer = 4,
        NHead = 12,
        NHeadKv = 2,
        VocabSize = 2304,
        ContextLength = 32768,
        RmsEpsilon = 1e-6f,
        RopeFreqBase = 1000000f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.Qwen2Bpe,
    };

    /// <summary>Qwen2.5 0.5B's exact shapes, for benchmarks. About 2 GB in F32: generated on demand, never committed.</summary>
    public static SyntheticPreset Qwen25HalfBShape { get; } = new()
    {
        Name = "qwen2.5-0.5b-shape",
        Description = "Qwen2.5 0.5B's shapes: 24 layers, n_embd 896, 14 heads / 2 KV heads, head_dim 64, n_ff 4864, BPE vocab 151936, tied embeddings",
        Architecture = "qwen2",
        NEmbd = 896,
        NFf = 4864,
        NLayer = 24,
        NHead = 14,
        NHeadKv = 2,
        VocabSize = 151936,
        ContextLength = 32768,
        RmsEpsilon = 1e-6f,
        RopeFreqBase = 1000000f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.Qwen2Bpe,
        SpecialTokens = 293,
    };

    /// <summary>
    /// Qwen3's structure scaled down for tests: per-head RMS norms on Q and K before RoPE, no biases, head_dim 128 from
    /// <c>key_length</c> (n_embd / n_head would be 64, so Q is twice as wide as the residual stream), NEOX RoPE at
    /// freq_base 1e6, tied embeddings, the qwen2 BPE vocabulary with ChatML.
    /// </summary>
    public static SyntheticPreset Qwen3Mini { get; } = new()
    {
        Name = "qwen3-mini",
        Description = "Qwen3 scaled down for tests: 4 layers, n_embd 512, 8 heads / 2 KV heads (GQA 4), head_dim 128 from key_length (Q 1024 wide), n_ff 1536, Q/K norms, NEOX RoPE base 1e6, BPE vocab 2304 (256 special), tied embeddings",
        Architecture = "qwen3",
        NEmbd = 512,
        NFf = 1536,
        NLayer = 4,
        NHead = 8,
        NHeadKv = 2,
        KeyLength = 128,
        VocabSize = 2304,
        ContextLength = 40960,
        RmsEpsilon = 1e-6f,
        RopeFreqBase = 1000000f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.Qwen2Bpe,
    };

    /// <summary>Qwen3 0.6B's exact shapes, for benchmarks. About 3 GB in F32: generated on demand, never committed.</summary>
    public static SyntheticPreset Qwen3SixTenthsBShape { get; } = new()
    {
        Name = "qwen3-0.6b-shape",
        Description = "Qwen3 0.6B's shapes: 28 layers, n_embd 1024, 16 heads / 8 KV heads, head_dim 128, n_ff 3072, BPE vocab 151936, tied embeddings",
        Architecture = "qwen3",
        NEmbd = 1024,
        NFf = 3072,
        NLayer = 28,
        NHead = 16,
        NHeadKv = 8,
        KeyLength = 128,
        VocabSize = 151936,
        ContextLength = 40960,
        RmsEpsilon = 1e-6f,
        RopeFreqBase = 1000000f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.Qwen2Bpe,
        SpecialTokens = 293,
    };

    /// <summary>
    /// Phi-3 mini's structure scaled down for tests: fused QKV and gate-up projections, head_dim 96 with multi-head
    /// attention, NEOX RoPE, a separate LM head, a SentencePiece vocabulary with Phi-3's added tokens and chat template.
    /// </summary>
    public static SyntheticPreset Phi3Mini { get; } = new()
    {
        Name = "phi3-mini",
        Description = "Phi-3 mini scaled down for tests: 4 layers, n_embd 768, 8 heads (MHA), head_dim 96, n_ff 2048, fused attn_qkv and ffn_up (gate and up), NEOX RoPE, SentencePiece vocab 2112 (64 added: Phi-3's control tokens and pads)",
        Architecture = "phi3",
        NEmbd = 768,
        NFf = 2048,
        NLayer = 4,
        NHead = 8,
        NHeadKv = 8,
        VocabSize = 2112,
        ContextLength = 4096,
        Tokenizer = SyntheticTokenizer.Phi3SentencePiece,
        SpecialTokens = 64,
    };

    /// <summary>Phi-3 mini 4k's exact shapes, for benchmarks. About 15 GB in F32: generated on demand, never committed.</summary>
    public static SyntheticPreset Phi3Mini4kShape { get; } = new()
    {
        Name = "phi3-mini-4k-shape",
        Description = "Phi-3 mini 4k's shapes: 32 layers, n_embd 3072, 32 heads (MHA), head_dim 96, n_ff 8192, SentencePiece vocab 32064",
        Architecture = "phi3",
        NEmbd = 3072,
        NFf = 8192,
        NLayer = 32,
        NHead = 32,
        NHeadKv = 32,
        VocabSize = 32064,
        ContextLength = 4096,
        Tokenizer = SyntheticTokenizer.Phi3SentencePiece,
        SpecialTokens = 64,
    };

    /// <summary>
    /// Qwen3-MoE's structure scaled down for tests: qwen3's attention (Q/K norms, head_dim 128 from key_length) with a
    /// mixture-of-experts FFN, 16 experts of which each token uses 4, softmax routing with the top-k weights
    /// normalised; every fourth expert's router row nearly repeats the one before, so routing margins near float
    /// resolution occur.
    /// </summary>
    public static SyntheticPreset Qwen3MoeMini { get; } = new()
    {
        Name = "qwen3moe-mini",
        Description = "Qwen3-MoE scaled down for tests: 4 layers, n_embd 512, 8 heads / 2 KV heads, head_dim 128, 16 experts (4 used) of n_ff 256, near-tied router rows, Q/K norms, NEOX RoPE base 1e6, BPE vocab 2304, tied embeddings",
        Architecture = "qwen3moe",
        NEmbd = 512,
        NFf = 1024,
        NLayer = 4,
        NHead = 8,
        NHeadKv = 2,
        KeyLength = 128,
        ExpertCount = 16,
        ExpertUsedCount = 4,
        ExpertFeedForwardLength = 256,
        VocabSize = 2304,
        ContextLength = 40960,
        RmsEpsilon = 1e-6f,
        RopeFreqBase = 1000000f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.Qwen2Bpe,
    };

    /// <summary>
    /// Qwen3-30B-A3B's layer shapes at a depth this machine holds: each of the 4 layers is one of the real model's 48
    /// (the same attention, router and 128 experts of 768, 8 routed per token), with its untied 151936-token head, so a
    /// generated token does the real model's per-layer expert work. The whole model is 120 GB in F32; this is 6 GB in
    /// F16 (<c>parity model synth --type f16</c>), 1.9 GB in Q4_K_M.
    /// </summary>
    public static SyntheticPreset Qwen3Moe30BA3BShape4Layers { get; } = new()
    {
        Name = "qwen3-30b-a3b-shape-4l",
        Description = "Qwen3-30B-A3B's layer shapes, 4 of its 48 layers: n_embd 2048, 32 heads / 4 KV heads, head_dim 128, 128 experts (8 used) of n_ff 768, Q/K norms, NEOX RoPE base 1e6, BPE vocab 151936, untied head",
        Architecture = "qwen3moe",
        NEmbd = 2048,
        NFf = 6144,
        NLayer = 4,
        NHead = 32,
        NHeadKv = 4,
        KeyLength = 128,
        ExpertCount = 128,
        ExpertUsedCount = 8,
        ExpertFeedForwardLength = 768,
        VocabSize = 151936,
        ContextLength = 40960,
        RmsEpsilon = 1e-6f,
        RopeFreqBase = 1000000f,
        Tokenizer = SyntheticTokenizer.Qwen2Bpe,
        SpecialTokens = 293,
    };

    /// <summary>
    /// Gemma 2's structure scaled down for tests: head_dim 256 from <c>key_length</c>, GQA 2, GELU-gated FFN, post-norms,
    /// attention and final soft-capping (50, 30), sliding-window attention of 16 tokens on every other layer (layers 0
    /// and 2), NEOX RoPE, tied embeddings, Gemma's SentencePiece vocabulary and chat template.
    /// </summary>
    public static SyntheticPreset Gemma2Mini { get; } = new()
    {
        Name = "gemma2-mini",
        Description = "Gemma 2 scaled down for tests: 4 layers, n_embd 512, 4 heads / 2 KV heads, head_dim 256 from key_length, n_ff 2048, GEGLU, post-norms, soft-caps 50/30, sliding window 16 on layers 0 and 2, SentencePiece vocab 2304 (Gemma's specials), tied embeddings",
        Architecture = "gemma2",
        NEmbd = 512,
        NFf = 2048,
        NLayer = 4,
        NHead = 4,
        NHeadKv = 2,
        KeyLength = 256,
        VocabSize = 2304,
        ContextLength = 8192,
        RmsEpsilon = 1e-6f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.GemmaSentencePiece,
        SlidingWindow = 16,
        AttnLogitSoftcapping = 50f,
        FinalLogitSoftcapping = 30f,
    };

    /// <summary>Gemma 2 2B's exact shapes, for benchmarks. About 10 GB in F32: generated on demand, never committed.</summary>
    public static SyntheticPreset Gemma2TwoBShape { get; } = new()
    {
        Name = "gemma-2-2b-shape",
        Description = "Gemma 2 2B's shapes: 26 layers, n_embd 2304, 8 heads / 4 KV heads, head_dim 256, n_ff 9216, sliding window 4096, SentencePiece vocab 256000, tied embeddings",
        Architecture = "gemma2",
        NEmbd = 2304,
        NFf = 9216,
        NLayer = 26,
        NHead = 8,
        NHeadKv = 4,
        KeyLength = 256,
        VocabSize = 256000,
        ContextLength = 8192,
        RmsEpsilon = 1e-6f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.GemmaSentencePiece,
        SlidingWindow = 4096,
        AttnLogitSoftcapping = 50f,
        FinalLogitSoftcapping = 30f,
    };

    /// <summary>
    /// Gemma 3's structure scaled down for tests: Gemma 2's block with Q/K norms and without soft-caps, one KV head as
    /// Gemma 3 1B, a sliding window of 8 tokens on layers 0 and 2 (<c>sliding_window_pattern</c> 2, so a four-layer model
    /// has global layers) at the local RoPE base 10000, the global layers at 1e6, Gemma's vocabulary and template.
    /// </summary>
    public static SyntheticPreset Gemma3Mini { get; } = new()
    {
        Name = "gemma3-mini",
        Description = "Gemma 3 scaled down for tests: 4 layers, n_embd 512, 4 heads / 1 KV head, head_dim 256 from key_length, n_ff 1536, Q/K norms, GEGLU, post-norms, sliding window 8 on layers 0 and 2 (local RoPE base 10000, global 1e6), SentencePiece vocab 2304 (Gemma's specials), tied embeddings",
        Architecture = "gemma3",
        NEmbd = 512,
        NFf = 1536,
        NLayer = 4,
        NHead = 4,
        NHeadKv = 1,
        KeyLength = 256,
        VocabSize = 2304,
        ContextLength = 32768,
        RmsEpsilon = 1e-6f,
        RopeFreqBase = 1000000f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.GemmaSentencePiece,
        SlidingWindow = 8,
        SlidingWindowPattern = 2,
    };

    /// <summary>Gemma 3 1B's exact shapes, for benchmarks. About 5 GB in F32: generated on demand, never committed.</summary>
    public static SyntheticPreset Gemma3OneBShape { get; } = new()
    {
        Name = "gemma-3-1b-shape",
        Description = "Gemma 3 1B's shapes: 26 layers, n_embd 1152, 4 heads / 1 KV head, head_dim 256, n_ff 6912, sliding window 512 on 5 of every 6 layers, RoPE base 1e6 (local 10000), SentencePiece vocab 262144, tied embeddings",
        Architecture = "gemma3",
        NEmbd = 1152,
        NFf = 6912,
        NLayer = 26,
        NHead = 4,
        NHeadKv = 1,
        KeyLength = 256,
        VocabSize = 262144,
        ContextLength = 32768,
        RmsEpsilon = 1e-6f,
        RopeFreqBase = 1000000f,
        TiedEmbeddings = true,
        Tokenizer = SyntheticTokenizer.GemmaSentencePiece,
        SlidingWindow = 512,
    };

    public static IReadOnlyList<SyntheticPreset> All { get; } = [TinyLlamaMini, TinyLlama11BShape, Llama27BShape, Micro, Llama3Mini, Llama32OneBShape, Qwen2Mini, Qwen25HalfBShape, Qwen3Mini, Qwen3SixTenthsBShape, Phi3Mini, Phi3Mini4kShape, Qwen3MoeMini, Qwen3Moe30BA3BShape4Layers, Gemma2Mini, Gemma2TwoBShape, Gemma3Mini, Gemma3OneBShape];

    public static SyntheticPreset Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown preset '{name}'; presets: {string.Join(", ", All.Select(p => p.Name))}", nameof(name));
}
