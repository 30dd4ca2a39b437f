using Parity.Engine.Architectures;
using Parity.Engine.Kernels;

namespace Parity.Engine.Model;

/// <summary>How the engine runs: threads, the largest batch and context it allocates for, the KV cache type, its kernels.</summary>
public sealed record EngineOptions
{
    public static EngineOptions Default { get; } = new();

    public int Threads { get; init; } = 2;

    /// <summary>Most tokens one <see cref="Transformer.Forward"/> call takes (buffers are allocated for this once).</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>KV cache cells (positions); 0 means the model's training context.</summary>
    public int ContextSize { get; init; } = 2048;

    /// <summary>
    /// KV cache element type: <see cref="KvCacheType.F32"/> keeps K and V exact; <see cref="KvCacheType.F16"/> rounds
    /// them to half precision on write, as llama.cpp's default cache does (<see cref="KvCacheType.BF16"/> to bfloat16); a
    /// quantized type keeps K in Walsh-Hadamard-rotated blocks of that type, with V in F16.
    /// </summary>
    public KvCacheType KvCache { get; init; } = KvCacheType.F32;

    /// <summary>
    /// Attention as llama.cpp's flash attention computes it (one <c>FLASH_ATTN_EXT</c> node: an online softmax per
    /// query row, <see cref="Kernels.FlashAttention"/>) instead of the kq, softmax and kqv nodes.
    /// </summary>
    public bool FlashAttention { get; init; }

    /// <summary>
    /// The V cache's element type when it is not the one <see cref="KvCache"/> implies (null): F32, F16 or BF16 beside
    /// another K, or a quantized V (<see cref="KvCacheTypes.IsQuantized"/>), which llama.cpp allows only with flash
    /// attention and rotates by the Walsh-Hadamard transform before caching (and the attention output back after it).
    /// </summary>
    public KvCacheType? ValueCache { get; init; }

    /// <summary>The V cache's element type: <see cref="ValueCache"/>, or F32 with an F32 K and F16 otherwise.</summary>
    public KvCacheType ValueType => ValueCache ?? (KvCache == KvCacheType.F32 ? KvCacheType.F32 : KvCacheType.F16);

    /// <summary>
    /// The K type attention reads: <see cref="KvCache"/>, except that llama.cpp casts an F32 cache to F16 before flash
    /// attention (a CPY node), so flash attention over an F32 cache reads half-precision keys.
    /// </summary>
    public KvCacheType AttendedKeyType => FlashAttention && KvCache == KvCacheType.F32 ? KvCacheType.F16 : KvCache;

    /// <summary>The V type attention reads: <see cref="ValueType"/>, F16 for an F32 V under flash attention (as <see cref="AttendedKeyType"/>).</summary>
    public KvCacheType AttendedValueType => FlashAttention && ValueType == KvCacheType.F32 ? KvCacheType.F16 : ValueType;

    /// <summary>Whether K is cached in quantized blocks (and Q and K are rotated before it is).</summary>
    public bool QuantizedKeys => KvCache.IsQuantized();

    /// <summary>Whether V is cached in quantized blocks (and V is rotated before it is).</summary>
    public bool QuantizedValues => ValueType.IsQuantized();

    /// <summary>How products round: <see cref="NumericsMode.F32"/> (default) or ggml's activation rounding.</summary>
    public NumericsMode Numerics { get; init; } = NumericsMode.F32;

    /// <summary>
    /// In ggml numerics: multiply weights as llama.cpp does when it repacks them for its CPU kernels
    /// (<c>use_extra_bufts</c>, on in llama.cpp's defaults): the types <see cref="Variant"/>'s library repacks go through
    /// their <see cref="GgmlTypeTraits.Repacked"/> kernels. f32 numerics do not depend on it.
    /// </summary>
    public bool Repack { get; init; }

    /// <summary>The architecture units the engine picks from by <c>general.architecture</c>.</summary>
    public ArchitectureRegistry Architectures { get; init; } = ArchitectureRegistry.BuiltIn;
    /// <summary>
    /// The llama.cpp library variant whose arithmetic <see cref="NumericsMode.Ggml"/> follows (vector widths, reduction
    /// orders, <c>expf</c>): the one the reference was made with. f32 numerics do not depend on it.
    /// </summary>
    public GgmlVariant Variant { get; init; } = GgmlVariant.Avx512;

    /// <summary>The llama.cpp commit whose ggml numerics (with <see cref="Variant"/>) the engine claims to reproduce (<see cref="GgmlTarget.Builds"/>).</summary>
    public string Target { get; init; } = GgmlTarget.Commit;

    /// <summary>
    /// The ggml types the engine reads and their kernels; null (the default) means the built-in ones of
    /// <see cref="Variant"/>. A table with a row replaced runs the whole engine on another kernel for that type, e.g.
    /// to bisect it; its variant must be <see cref="Variant"/>.
    /// </summary>
    public GgmlTypeTable? Types { get; init; }

    /// <summary>The table the engine runs: <see cref="Types"/>, or the built-in one of <see cref="Variant"/>.</summary>
    public GgmlTypeTable TypeTable => Types is null ? GgmlTypeTable.For(Variant)
        : Types.Variant == Variant ? Types
        : throw new ArgumentException($"EngineOptions.Types holds the {Types.Variant.Name()} library's kernels, but Variant is {Variant.Name()}");
}
