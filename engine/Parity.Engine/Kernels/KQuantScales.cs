using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

/// <summary>The eight 6-bit scales and mins packed into 12 bytes of a Q4_K or Q5_K block, unpacked once per block.</summary>
internal static class KQuantScales
{
    public static void ScalesAndMins(ReadOnlySpan<byte> q, Span<byte> scales, Span<byte> mins)
    {
        for (var j = 0; j < 8; j++)
        {
            var (scale, min) = Dequantize.ScaleMinK4(j, q);
            scales[j] = (byte)scale;
            mins[j] = (byte)min;
        }
    }

    /// <summary>
    /// The scales (bytes of the first ulong) and mins (bytes of the second) of the Q4_K/Q5_K block at
    /// <paramref name="block"/> (its 12 packed bytes start at offset 4), with ggml's 32-bit mask arithmetic: a handful
    /// of integer ops instead of eight byte-wise extractions, which cost more than the block's whole integer dot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe (ulong Scales, ulong Mins) Packed(byte* block)
    {
        var u0 = *(uint*)(block + 4);
        var u1 = *(uint*)(block + 8);
        var u2 = *(uint*)(block + 12);
        var scales = (u0 & 0x3f3f3f3fu) | ((ulong)((u2 & 0x0f0f0f0fu) | (((u0 >> 6) & 0x03030303u) << 4)) << 32);
        var mins = (u1 & 0x3f3f3f3fu) | ((ulong)(((u2 >> 4) & 0x0f0f0f0fu) | (((u1 >> 6) & 0x03030303u) << 4)) << 32);
        return (scales, mins);
    }

    /// <summary>Lane u: min[2u]·(bs[4u]+bs[4u+1]) + min[2u+1]·(bs[4u+2]+bs[4u+3]), exact in int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector128<int> MinTerms(ulong mins, short* bsums)
    {
        var pairs = Ssse3.HorizontalAdd(Sse2.LoadVector128(bsums), Sse2.LoadVector128(bsums + 8));
        return Sse2.MultiplyAddAdjacent(Sse41.ConvertToVector128Int16(Vector128.CreateScalar(mins).AsByte()), pairs);
    }
}
