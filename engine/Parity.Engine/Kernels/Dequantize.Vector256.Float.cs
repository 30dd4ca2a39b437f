using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707

/// <summary>Vector kernels for the float types: F16 with 256-bit integer ops and one multiply, BF16 with 256-bit shifts.</summary>
public static partial class Dequantize
{
    /// <summary>
    /// F16: eight halves at a time, widened to 32 bits, magnitude shifted into a float's bit positions and scaled by
    /// 2^112 (exact for normal and subnormal halves alike), infinities and NaNs given the all-ones exponent, sign
    /// restored. The BCL's span conversion runs at ~0.4 GB/s here, slower than reading the weights from memory.
    /// </summary>
    public static unsafe void F16Vector(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var halves = MemoryMarshal.Cast<byte, ushort>(source)[..destination.Length];
        var i = 0;
        if (Avx2.IsSupported)
        {
            var magnitude = Vector256.Create(0x7fffu);
            var exponent = Vector256.Create(0x7c00u);
            var scale = Vector256.Create(0x77800000u).AsSingle(); // 2^112
            var infinity = Vector256.Create(0x7f800000u);
            fixed (ushort* h = halves)
            fixed (float* o = destination)
            {
                for (; i + 8 <= halves.Length; i += 8)
                {
                    var u = Avx2.ConvertToVector256Int32(h + i).AsUInt32();
                    var f = (Vector256.ShiftLeft(u & magnitude, 13).AsSingle() * scale).AsUInt32();
                    f |= Vector256.Equals(u & exponent, exponent) & infinity;
                    f |= Vector256.ShiftLeft(u >> 15, 31);
                    Avx.Store(o + i, f.AsSingle());
                }
            }
        }

        for (; i < halves.Length; i++)
        {
            destination[i] = (float)BitConverter.UInt16BitsToHalf(halves[i]);
        }
    }

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
