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

    /// <summary>How products round: <see cref="NumericsMode.F32"/> (default) or ggml's activation rounding.</summary>
    public NumericsMode Numerics { get; init; } = NumericsMode.F32;

    /// <summary>The architecture units the engine picks from by <c>general.architecture</c>.</summary>
    public ArchitectureRegistry Architectures { get; init; } = ArchitectureRegistry.BuiltIn;
    /// <summary>
    /// The ggml types the engine reads and their kernels (<see cref="GgmlTypeTable.Default"/>: the built-in ones). A
    /// table with a row replaced runs the whole engine on another kernel for that type, e.g. to bisect it.
    /// </summary>
    public GgmlTypeTable Types { get; init; } = GgmlTypeTable.Default;
}
