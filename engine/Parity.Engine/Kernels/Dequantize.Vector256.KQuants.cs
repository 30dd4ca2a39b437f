using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707

/// <summary>256-bit kernels for Q2_K, Q3_K and Q5_K: the scalar references' float operations, in the same order.</summary>
public static partial class Dequantize
{
    /// <summary>Q2_K: per 32 quant bytes and shift, 16 values at (d·scale, dmin·min) then 16 at the next pair.</summary>
    public static void Q2_KVector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 84);
        var three = Vector256.Create((byte)3);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 84, 84);
            var scales = block[..16];
            var d = Half(block, 80);
            var min = Half(block, 82);
            var y = destination.Slice(b * QKK, QKK);
            var si = 0;
            for (var half = 0; half < 2; half++)
            {
                var q = Vector256.Create(block.Slice(16 + (half * 32), 32));
                for (var shift = 0; shift < 8; shift += 2)
                {
                    var v = Vector256.ShiftRightLogical(q.AsUInt16(), shift).AsByte() & three;
                    var sa = scales[si];
                    var sb = scales[si + 1];
                    StoreTwoScales(v, d * (sa & 0xF), min * (sa >> 4), d * (sb & 0xF), min * (sb >> 4), y.Slice(((half * 4) + (shift / 2)) * 32, 32));
                    si += 2;
                }
            }
        }
    }

    /// <summary>Q3_K: (2-bit quant minus 4 where the high-bit mask is clear) times d·(scale - 32), 16 values per scale.</summary>
    public static void Q3_KVector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 110);
        Span<sbyte> scales = stackalloc sbyte[16];
        var three = Vector256.Create((byte)3);
        var four = Vector256.Create((byte)4);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 110, 110);
            var hmask = Vector256.Create(block[..32]);
            UnpackQ3KScales(block.Slice(96, 12), scales);
            var d = Half(block, 108);
            var y = destination.Slice(b * QKK, QKK);
            var si = 0;
            var m = 1;
            for (var half = 0; half < 2; half++)
            {
                var q = Vector256.Create(block.Slice(32 + (half * 32), 32));
                for (var shift = 0; shift < 8; shift += 2)
                {
                    var low = Vector256.ShiftRightLogical(q.AsUInt16(), shift).AsByte() & three;
                    var clear = Vector256.Equals(hmask & Vector256.Create((byte)m), Vector256<byte>.Zero) & four;
                    var v = (low - clear).AsSByte();
                    StoreSignedTwoScales(v, d * (scales[si] - 32), d * (scales[si + 1] - 32), y.Slice(((half * 4) + (shift / 2)) * 32, 32));
                    si += 2;
                    m <<= 1;
                }
            }
        }
    }

    /// <summary>Q5_K: (nibble + 16 where the fifth bit is set) times d·scale, minus dmin·min.</summary>
    public static void Q5_KVector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 176);
        var low = Vector256.Create((byte)0x0F);
        var sixteen = Vector256.Create((byte)16);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 176, 176);
            var d = Half(block, 0);
            var min = Half(block, 2);
            var scales = block.Slice(4, 12);
            var qh = Vector256.Create(block.Slice(16, 32));
            var y = destination.Slice(b * QKK, QKK);
            byte u1 = 1, u2 = 2;
            for (var j = 0; j < 4; j++)
            {
                var (sc1, m1) = ScaleMinK4(2 * j, scales);
                var (sc2, m2) = ScaleMinK4((2 * j) + 1, scales);
                var ql = Vector256.Create(block.Slice(48 + (32 * j), 32));
                var h1 = ~Vector256.Equals(qh & Vector256.Create(u1), Vector256<byte>.Zero) & sixteen;
                var h2 = ~Vector256.Equals(qh & Vector256.Create(u2), Vector256<byte>.Zero) & sixteen;
                var o = y.Slice(64 * j, 64);
                Store((ql & low) + h1, Vector256.Create(d * sc1), Vector256.Create(min * m1), o[..32]);
                Store(Vector256.ShiftRightLogical(ql.AsUInt16(), 4).AsByte() & low | h2, Vector256.Create(d * sc2), Vector256.Create(min * m2), o[32..]);
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }

    /// <summary>Writes <c>scale * q - offset</c>; bytes 0..15 use the first pair, 16..31 the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTwoScales(Vector256<byte> q, float scaleA, float offsetA, float scaleB, float offsetB, Span<float> destination)
    {
        var (w0, w1) = Vector256.Widen(q);
        var (i0, i1) = Vector256.Widen(w0);
        var (i2, i3) = Vector256.Widen(w1);
        var sa = Vector256.Create(scaleA);
        var oa = Vector256.Create(offsetA);
        var sb = Vector256.Create(scaleB);
        var ob = Vector256.Create(offsetB);
        ref var o = ref MemoryMarshal.GetReference(destination);
        ((sa * Vector256.ConvertToSingle(i0.AsInt32())) - oa).StoreUnsafe(ref o, 0);
        ((sa * Vector256.ConvertToSingle(i1.AsInt32())) - oa).StoreUnsafe(ref o, 8);
        ((sb * Vector256.ConvertToSingle(i2.AsInt32())) - ob).StoreUnsafe(ref o, 16);
        ((sb * Vector256.ConvertToSingle(i3.AsInt32())) - ob).StoreUnsafe(ref o, 24);
    }

    /// <summary>Writes <c>scale * q</c> for 32 signed bytes; bytes 0..15 use <paramref name="scaleA"/>, 16..31 <paramref name="scaleB"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSignedTwoScales(Vector256<sbyte> q, float scaleA, float scaleB, Span<float> destination)
    {
        var (w0, w1) = Vector256.Widen(q);
        var (i0, i1) = Vector256.Widen(w0);
        var (i2, i3) = Vector256.Widen(w1);
        var sa = Vector256.Create(scaleA);
        var sb = Vector256.Create(scaleB);
        ref var o = ref MemoryMarshal.GetReference(destination);
        (sa * Vector256.ConvertToSingle(i0)).StoreUnsafe(ref o, 0);
        (sa * Vector256.ConvertToSingle(i1)).StoreUnsafe(ref o, 8);
        (sb * Vector256.ConvertToSingle(i2)).StoreUnsafe(ref o, 16);
        (sb * Vector256.ConvertToSingle(i3)).StoreUnsafe(ref o, 24);
    }
}
