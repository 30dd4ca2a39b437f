using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names (Q4_0, Q6_K) keep ggml's spelling.

/// <summary>
/// Scalar reference dequantization, one partial file per ggml type (<c>Dequantize.Q4_K.cs</c>). Each kernel follows
/// the block layout of ggml's <c>block_*</c> structs and evaluates in ggml's order (float operations, left to right,
/// no fused multiply-add), so the result is bit-identical to ggml's <c>to_float</c>; tests check that through the
/// runner. Vectorized kernels live apart and are tested against these; <see cref="GgmlTypeTable"/> holds both per type.
/// </summary>
public static partial class Dequantize
{
    /// <summary>
    /// Dequantizes <paramref name="destination"/>.Length elements (a multiple of the block size) with the built-in
    /// table's kernel for <paramref name="type"/> (for data the engine makes itself, such as a Q8_0 K cache; weights go
    /// through the model's own table).
    /// </summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination) =>
        GgmlTypeTable.Default[type].Dequantize(source, destination);

    /// <summary>F32 is stored as it is read: a copy.</summary>
    public static void F32(ReadOnlySpan<byte> source, Span<float> destination) =>
        MemoryMarshal.Cast<byte, float>(source)[..destination.Length].CopyTo(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Half(ReadOnlySpan<byte> b, int offset) => (float)Unsafe.ReadUnaligned<Half>(ref MemoryMarshal.GetReference(b[offset..]));

    private static int Blocks(ReadOnlySpan<byte> source, Span<float> destination, int blockElements, int blockBytes)
    {
        if (destination.Length % blockElements != 0)
        {
            throw new ArgumentException($"{destination.Length} elements is not a multiple of the block size {blockElements}", nameof(destination));
        }

        var n = destination.Length / blockElements;
        if (source.Length < n * blockBytes)
        {
            throw new ArgumentException($"{source.Length} bytes hold fewer than {n} blocks of {blockBytes} bytes", nameof(source));
        }

        return n;
    }
}
