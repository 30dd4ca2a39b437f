using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707

/// <summary>256-bit kernels for Q4_1, Q5_0 and Q5_1: the scalar references' float operations, in the same order.</summary>
public static partial class Dequantize
{
    /// <summary>Fifth bits: for each byte value, the eight bytes 0x10 or 0 its bits stand for, least significant first.</summary>
    private static readonly ulong[] FifthBits = MakeFifthBits();

    /// <summary>Q4_1: q * d + m for 16 low then 16 high nibbles.</summary>
    public static void Q4_1Vector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 20);
        var mask = Vector128.Create((byte)0x0F);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 20, 20);
            var q = Vector128.Create(block.Slice(4, 16));
            StoreScaledPlus(Vector256.Create(q & mask, Vector128.ShiftRightLogical(q, 4)), Half(block, 0), Half(block, 2), destination.Slice(b * QK, QK));
        }
    }

    /// <summary>Q5_0: ((nibble | fifth bit) - 16) * d.</summary>
    public static void Q5_0Vector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 22);
        var mask = Vector128.Create((byte)0x0F);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 22, 22);
            var q = Vector128.Create(block.Slice(6, 16));
            var high = FifthBitVector(BinaryPrimitives.ReadUInt32LittleEndian(block[2..]));
            StoreBiased(Vector256.Create(q & mask, Vector128.ShiftRightLogical(q, 4)) | high, 16, Half(block, 0), destination.Slice(b * QK, QK));
        }
    }

    /// <summary>Q5_1: (nibble | fifth bit) * d + m.</summary>
    public static void Q5_1Vector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 24);
        var mask = Vector128.Create((byte)0x0F);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 24, 24);
            var q = Vector128.Create(block.Slice(8, 16));
            var high = FifthBitVector(BinaryPrimitives.ReadUInt32LittleEndian(block[4..]));
            StoreScaledPlus(Vector256.Create(q & mask, Vector128.ShiftRightLogical(q, 4)) | high, Half(block, 0), Half(block, 2), destination.Slice(b * QK, QK));
        }
    }

    /// <summary>Byte i is 0x10 when bit i of <paramref name="qh"/> is set: four table lookups instead of 32 shifts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> FifthBitVector(uint qh) =>
        Vector256.Create(FifthBits[qh & 0xFF], FifthBits[(qh >> 8) & 0xFF], FifthBits[(qh >> 16) & 0xFF], FifthBits[qh >> 24]).AsByte();

    /// <summary>Writes <c>q * scale + offset</c> (multiply, then add) for 32 unsigned bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScaledPlus(Vector256<byte> q, float scale, float offset, Span<float> destination)
    {
        var (w0, w1) = Vector256.Widen(q);
        var (i0, i1) = Vector256.Widen(w0);
        var (i2, i3) = Vector256.Widen(w1);
        var s = Vector256.Create(scale);
        var m = Vector256.Create(offset);
        ref var o = ref MemoryMarshal.GetReference(destination);
        ((Vector256.ConvertToSingle(i0.AsInt32()) * s) + m).StoreUnsafe(ref o, 0);
        ((Vector256.ConvertToSingle(i1.AsInt32()) * s) + m).StoreUnsafe(ref o, 8);
        ((Vector256.ConvertToSingle(i2.AsInt32()) * s) + m).StoreUnsafe(ref o, 16);
        ((Vector256.ConvertToSingle(i3.AsInt32()) * s) + m).StoreUnsafe(ref o, 24);
    }

    private static ulong[] MakeFifthBits()
    {
        var table = new ulong[256];
        for (var v = 0; v < 256; v++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                if ((v & (1 << bit)) != 0)
                {
                    table[v] |= 0x10UL << (8 * bit);
                }
            }
        }

        return table;
    }
}
