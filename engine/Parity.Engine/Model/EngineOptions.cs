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
    /// them to half precision on write, as llama.cpp's default cache does; <see cref="KvCacheType.Q8_0"/> keeps K in
    /// rotated Q8_0 blocks and V in F16.
    /// </summary>
    public KvCacheType KvCache { get; init; } = KvCacheType.F32;

    /// <summary>
    /// Attention as llama.cpp's flash attention computes it (one <c>FLASH_ATTN_EXT</c> node: an online softmax per
    /// query row, <see cref="Kernels.FlashAttention"/>) instead of the kq, softmax and kqv nodes.
    /// </summary>
    public bool FlashAttention { get; init; }

    /// <summary>How products round: <see cref="NumericsMode.F32"/> (default) or ggml's activation rounding.</summary>
    public NumericsMode Numerics { get; init; } = NumericsMode.F32;

    /// <summary>The architecture units the engine picks from by <c>general.architecture</c>.</summary>
    public ArchitectureRegistry Architectures { get; init; } = ArchitectureRegistry.BuiltIn;
    /// <summary>
    /// The llama.cpp library variant whose arithmetic <see cref="NumericsMode.Ggml"/> follows (vector widths, reduction
    /// orders, <c>expf</c>): the one the reference was made with. f32 numerics do not depend on it.
    /// </summary>
    public GgmlVariant Variant { get; init; } = GgmlVariant.Avx512;

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
