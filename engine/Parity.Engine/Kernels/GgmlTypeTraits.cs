using System.Runtime.Intrinsics;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>Dequantizes <c>destination.Length</c> elements (a multiple of the block size): ggml's <c>to_float</c>.</summary>
public delegate void ToFloatKernel(ReadOnlySpan<byte> source, Span<float> destination);

/// <summary>
/// ggml's <c>vec_dot</c> for a run of weight rows: each of <c>results.Length</c> rows (<paramref name="rowBytes"/>
/// apart in <paramref name="rows"/>) against one activation row in the type's <c>vec_dot_type</c> blocks. Called once
/// per run of rows, so a kernel's per-block loop never goes through a delegate.
/// </summary>
public delegate void VecDotKernel(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results);

/// <summary>
/// A 2-row × 4-token tile of <see cref="VecDotKernel"/>: rows <paramref name="row0"/> and <paramref name="row1"/>
/// against the 4 activation rows starting at <paramref name="quants"/> (rows <paramref name="cols"/> quants apart; scales
/// and block sums by their own per-row counts), writing <c>results[2·token + row]</c> with the row kernel's bits.
/// </summary>
public unsafe delegate void TileKernel(byte* row0, byte* row1, sbyte* quants, float* scales, short* blockSums, int cols, Span<float> results);

/// <summary>ggml's <c>vec_dot</c> for a float type, on the row already widened to floats.</summary>
public delegate float FloatDotKernel(ReadOnlySpan<float> row, ReadOnlySpan<float> x);

/// <summary>ggml's <c>from_float</c> into a row of the type's blocks: how SET_ROWS writes a KV cache row of the type.</summary>
public delegate void RowQuantizeKernel(ReadOnlySpan<float> row, Span<byte> blocks);

/// <summary>Activations as a <c>vec_dot_type</c> holds them: quantized with ggml's <c>from_float</c>, then widened back.</summary>
public delegate void RoundKernel(ReadOnlySpan<float> x, Span<float> destination);

/// <summary>
/// What the engine knows about one ggml type, as ggml's <c>type_traits</c> (<c>ggml.c</c>) and <c>type_traits_cpu</c>
/// (<c>ggml-cpu.c</c>) hold it: the block geometry (from <see cref="GgmlTypeInfo"/>, the format's one source of those
/// numbers), the dequantizers, the activation type of its products and the product kernels. A slot the type does not
/// have is null. Rows are immutable; <see cref="GgmlTypeTable.With"/> makes a table with one row replaced.
/// </summary>
public sealed record GgmlTypeTraits
{
    private static readonly bool VectorKernels = Vector256.IsHardwareAccelerated;

    public GgmlTypeTraits(GgmlType type)
    {
        Type = type;
        Layout = GgmlTypeInfo.Get(type);
    }

    public GgmlType Type { get; }

    /// <summary>Block size, bytes per block and ggml's name, as the file format defines them.</summary>
    public GgmlTypeInfo Layout { get; }

    public string Name => Layout.GgmlName;

    public int BlockSize => Layout.BlockSize;

    public int TypeSize => Layout.TypeSize;

    /// <summary>The scalar reference dequantizer, bit-exact with ggml's <c>to_float</c>; null for an activation-only type.</summary>
    public ToFloatKernel? ToFloat { get; init; }

    /// <summary>A vector dequantizer with <see cref="ToFloat"/>'s bits, used where the hardware accelerates 256-bit vectors.</summary>
    public ToFloatKernel? ToFloatVector { get; init; }

    /// <summary>What activations become before a product with this type (ggml's <c>vec_dot_type</c>).</summary>
    public GgmlType? VecDotType { get; init; }

    /// <summary>The integer block dot against <see cref="VecDotType"/> blocks; null where products go through floats.</summary>
    public VecDotKernel? VecDot { get; init; }

    /// <summary>
    /// The block dot of a single token where the library's <c>vec_dot</c> sums in another order than its batch path
    /// (tinyBLAS), which <see cref="VecDot"/> follows: Q8_0 and Q4_0 in the AVX library; null where one order serves both.
    /// </summary>
    public VecDotKernel? VecDotOneToken { get; init; }

    /// <summary>The batch tile of <see cref="VecDot"/>; null where this machine has none.</summary>
    public TileKernel? Tile { get; init; }

    /// <summary>For a float type: its <c>vec_dot</c> on the widened row (after <see cref="VecDotType"/>'s rounding of x).</summary>
    public FloatDotKernel? FloatDot { get; init; }

    /// <summary>As a <c>vec_dot_type</c>: the rounding x goes through; null when x stays as it is (F32).</summary>
    public RoundKernel? Round { get; init; }

    /// <summary>As a block <c>vec_dot_type</c> (Q8_0, Q8_1, Q8_K): new buffers that quantize activations to its blocks.</summary>
    public Func<QuantizedActivations>? FromFloat { get; init; }

    /// <summary>
    /// As a KV cache type: the <c>from_float</c> the library's SET_ROWS converts a cache row with (ggml-base's reference
    /// quantizer for most types, the SIMD activation quantizer for Q8_0); null where the engine keeps no cache of the type.
    /// </summary>
    public RowQuantizeKernel? QuantizeRow { get; init; }

    /// <summary>
    /// A type the engine reads only as a KV cache it writes itself, not as weights (IQ4_NL: llama.cpp repacks IQ4_NL
    /// weights by default, which the engine does not reproduce), so a file with weights of it is refused.
    /// </summary>
    public bool CacheOnly { get; init; }

    /// <summary>
    /// The product of this type's weights when llama.cpp repacks them (its CPU "extra" buffer type, <c>repack.cpp</c>),
    /// as the table's library variant selects it on x86; null where that library keeps the plain layout.
    /// </summary>
    public RepackedKernel? Repacked { get; init; }

    /// <summary>Whether weights of this type can be read (the type has a dequantizer).</summary>
    public bool IsWeightType => ToFloat is not null && !CacheOnly;

    /// <summary>Dequantizes with the vector kernel where the hardware runs one, else the scalar reference.</summary>
    public void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var kernel = VectorKernels && ToFloatVector is { } vector ? vector
            : ToFloat ?? throw new NotSupportedException($"ggml type {Name} has no dequantization kernel");
        kernel(source, destination);
    }
}
