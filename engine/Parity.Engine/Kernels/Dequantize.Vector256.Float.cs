using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707

/// <summary>Vector kernels for the float types: F16 through TensorPrimitives (every width), BF16 with 256-bit shifts.</summary>
public static partial class Dequantize
{
    /// <summary>F16: the BCL's vectorized half-to-float conversion, exact like the scalar one.</summary>
    public static void F16Vector(ReadOnlySpan<byte> source, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source)[..destination.Length], destination);

    /// <summary>BF16: 16 values at a time widened to 32 bits and shifted into the top half.</summary>
    public static void BF16Vector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var bits = MemoryMarshal.Cast<byte, ushort>(source)[..destination.Length];
        var i = 0;
        ref var o = ref MemoryMarshal.GetReference(destination);
        for (; i + 16 <= bits.Length; i += 16)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Create(bits.Slice(i, 16)));
            Vector256.ShiftLeft(lo, 16).AsSingle().StoreUnsafe(ref o, (nuint)i);
            Vector256.ShiftLeft(hi, 16).AsSingle().StoreUnsafe(ref o, (nuint)(i + 8));
        }

        for (; i < bits.Length; i++)
        {
            destination[i] = BitConverter.UInt32BitsToSingle((uint)bits[i] << 16);
        }
    }
}
