using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names (Q4_0, Q6_K) keep ggml's spelling.

/// <summary>
/// Scalar reference dequantization, one partial file per ggml type (<c>Dequantize.Q4_K.cs</c>). Each kernel follows
/// the block layout of ggml's <c>block_*</c> structs and evaluates in ggml's order (float operations, left to right,
/// no fused multiply-add), so the result is bit-identical to ggml's <c>to_float</c>; tests check that through the
/// runner. Vectorized kernels live apart and are tested against these.
/// </summary>
public static partial class Dequantize
{
    /// <summary>Dequantizes <paramref name="destination"/>.Length elements (a multiple of the block size).</summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.Cast<byte, float>(source)[..destination.Length].CopyTo(destination); break;
            case GgmlType.F16 when UseVectorKernels: F16Vector(source, destination); break;
            case GgmlType.F16: F16(source, destination); break;
            case GgmlType.BF16 when UseVectorKernels: BF16Vector256(source, destination); break;
            case GgmlType.BF16: BF16(source, destination); break;
            case GgmlType.Q4_0 when UseVectorKernels: Q4_0Vector256(source, destination); break;
            case GgmlType.Q4_0: Q4_0(source, destination); break;
            case GgmlType.Q4_1 when UseVectorKernels: Q4_1Vector256(source, destination); break;
            case GgmlType.Q4_1: Q4_1(source, destination); break;
            case GgmlType.Q5_0 when UseVectorKernels: Q5_0Vector256(source, destination); break;
            case GgmlType.Q5_0: Q5_0(source, destination); break;
            case GgmlType.Q5_1 when UseVectorKernels: Q5_1Vector256(source, destination); break;
            case GgmlType.Q5_1: Q5_1(source, destination); break;
            case GgmlType.Q8_0 when UseVectorKernels: Q8_0Vector256(source, destination); break;
            case GgmlType.Q8_0: Q8_0(source, destination); break;
            case GgmlType.Q2_K when UseVectorKernels: Q2_KVector256(source, destination); break;
            case GgmlType.Q2_K: Q2_K(source, destination); break;
            case GgmlType.Q3_K when UseVectorKernels: Q3_KVector256(source, destination); break;
            case GgmlType.Q3_K: Q3_K(source, destination); break;
            case GgmlType.Q4_K when UseVectorKernels: Q4_KVector256(source, destination); break;
            case GgmlType.Q4_K: Q4_K(source, destination); break;
            case GgmlType.Q5_K when UseVectorKernels: Q5_KVector256(source, destination); break;
            case GgmlType.Q5_K: Q5_K(source, destination); break;
            case GgmlType.Q6_K when UseVectorKernels: Q6_KVector256(source, destination); break;
            case GgmlType.Q6_K: Q6_K(source, destination); break;
            default: throw new NotSupportedException($"no dequantization kernel for ggml type {type}");
        }
    }

    public static bool IsSupported(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0
        or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

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
