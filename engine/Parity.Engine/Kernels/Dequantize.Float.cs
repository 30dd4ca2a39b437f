using System.Runtime.InteropServices;

namespace Parity.Engine.Kernels;

public static partial class Dequantize
{
    /// <summary>IEEE half to single: exact.</summary>
    public static void F16(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var halves = MemoryMarshal.Cast<byte, Half>(source);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)halves[i];
        }
    }

    /// <summary>bfloat16 is the top half of a float32: shift into place, exact.</summary>
    public static void BF16(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var bits = MemoryMarshal.Cast<byte, ushort>(source);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BitConverter.UInt32BitsToSingle((uint)bits[i] << 16);
        }
    }
}
