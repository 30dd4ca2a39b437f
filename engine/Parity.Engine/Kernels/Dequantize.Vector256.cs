using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707

/// <summary>
/// 256-bit vector kernels, each the same float operations as its scalar reference in the same order (multiply, then
/// subtract; no fused multiply-add), so results are bit-identical; tests compare them on random blocks.
/// </summary>
public static partial class Dequantize
{
    /// <summary>Q4_K, eight floats at a time: each 32-byte run of nibbles gives 32 low and 32 high values.</summary>
    public static void Q4_KVector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 144);
        var mask = Vector256.Create((byte)0x0F);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 144, 144);
            var d = Half(block, 0);
            var min = Half(block, 2);
            var scales = block.Slice(4, 12);
            var y = destination.Slice(b * QKK, QKK);
            for (var j = 0; j < 4; j++)
            {
                var (sc1, m1) = ScaleMinK4(2 * j, scales);
                var (sc2, m2) = ScaleMinK4((2 * j) + 1, scales);
                var q = Vector256.Create(block.Slice(16 + (32 * j), 32));
                var o = y.Slice(64 * j, 64);
                Store(q & mask, Vector256.Create(d * sc1), Vector256.Create(min * m1), o[..32]);
                Store(Vector256.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask, Vector256.Create(d * sc2), Vector256.Create(min * m2), o[32..]);
            }
        }
    }

    /// <summary>Q8_0, eight floats at a time: 32 signed bytes times d.</summary>
    public static void Q8_0Vector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 34);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 34, 34);
            var d = Vector256.Create(Half(block, 0));
            var (w0, w1) = Vector256.Widen(Vector256.Create(block.Slice(2, 32)).AsSByte());
            var (i0, i1) = Vector256.Widen(w0);
            var (i2, i3) = Vector256.Widen(w1);
            ref var o = ref MemoryMarshal.GetReference(destination.Slice(b * QK, QK));
            (Vector256.ConvertToSingle(i0) * d).StoreUnsafe(ref o, 0);
            (Vector256.ConvertToSingle(i1) * d).StoreUnsafe(ref o, 8);
            (Vector256.ConvertToSingle(i2) * d).StoreUnsafe(ref o, 16);
            (Vector256.ConvertToSingle(i3) * d).StoreUnsafe(ref o, 24);
        }
    }

    /// <summary>Q4_0, eight floats at a time: 16 low nibbles then 16 high nibbles, minus 8, times d.</summary>
    public static void Q4_0Vector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 18);
        var mask = Vector128.Create((byte)0x0F);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 18, 18);
            var d = Half(block, 0);
            var q = Vector128.Create(block.Slice(2, 16));
            var nibbles = Vector256.Create(q & mask, Vector128.ShiftRightLogical(q, 4));
            StoreBiased(nibbles, 8, d, destination.Slice(b * QK, QK));
        }
    }

    /// <summary>Writes <c>(q - bias) * scale</c> for 32 unsigned bytes as 32 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBiased(Vector256<byte> q, int bias, float scale, Span<float> destination)
    {
        var (w0, w1) = Vector256.Widen(q);
        var (i0, i1) = Vector256.Widen(w0);
        var (i2, i3) = Vector256.Widen(w1);
        var b = Vector256.Create(bias);
        var s = Vector256.Create(scale);
        ref var o = ref MemoryMarshal.GetReference(destination);
        (Vector256.ConvertToSingle(i0.AsInt32() - b) * s).StoreUnsafe(ref o, 0);
        (Vector256.ConvertToSingle(i1.AsInt32() - b) * s).StoreUnsafe(ref o, 8);
        (Vector256.ConvertToSingle(i2.AsInt32() - b) * s).StoreUnsafe(ref o, 16);
        (Vector256.ConvertToSingle(i3.AsInt32() - b) * s).StoreUnsafe(ref o, 24);
    }

    /// <summary>Q6_K, eight floats at a time: four runs of 32 six-bit values per 128 elements, minus 32, times d·scale.</summary>
    public static void Q6_KVector256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 210);
        var low = Vector256.Create((byte)0x0F);
        var two = Vector256.Create((byte)0x03);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 210, 210);
            var d = Half(block, 208);
            var y = destination.Slice(b * QKK, QKK);
            for (var half = 0; half < 2; half++)
            {
                var ql0 = Vector256.Create(block.Slice(64 * half, 32));
                var ql1 = Vector256.Create(block.Slice((64 * half) + 32, 32));
                var qh = Vector256.Create(block.Slice(128 + (32 * half), 32));
                var sc = block.Slice(192 + (8 * half), 8);
                var o = y.Slice(128 * half, 128);
                StoreSixBit((ql0 & low) | Vector256.ShiftLeft(qh & two, 4), d * (sbyte)sc[0], d * (sbyte)sc[1], o[..32]);
                StoreSixBit((ql1 & low) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(qh, 2) & two, 4), d * (sbyte)sc[2], d * (sbyte)sc[3], o.Slice(32, 32));
                StoreSixBit(Vector256.ShiftRightLogical(ql0, 4) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(qh, 4) & two, 4), d * (sbyte)sc[4], d * (sbyte)sc[5], o.Slice(64, 32));
                StoreSixBit(Vector256.ShiftRightLogical(ql1, 4) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(qh, 6) & two, 4), d * (sbyte)sc[6], d * (sbyte)sc[7], o.Slice(96, 32));
            }
        }
    }

    /// <summary>Writes <c>scale * (q - 32)</c> for 32 six-bit values; the first 16 use <paramref name="scaleA"/>, the rest <paramref name="scaleB"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSixBit(Vector256<byte> q, float scaleA, float scaleB, Span<float> destination)
    {
        var (w0, w1) = Vector256.Widen(q);
        var (i0, i1) = Vector256.Widen(w0);
        var (i2, i3) = Vector256.Widen(w1);
        var bias = Vector256.Create(32);
        var a = Vector256.Create(scaleA);
        var c = Vector256.Create(scaleB);
        ref var o = ref MemoryMarshal.GetReference(destination);
        (a * Vector256.ConvertToSingle(i0.AsInt32() - bias)).StoreUnsafe(ref o, 0);
        (a * Vector256.ConvertToSingle(i1.AsInt32() - bias)).StoreUnsafe(ref o, 8);
        (c * Vector256.ConvertToSingle(i2.AsInt32() - bias)).StoreUnsafe(ref o, 16);
        (c * Vector256.ConvertToSingle(i3.AsInt32() - bias)).StoreUnsafe(ref o, 24);
    }

    /// <summary>Writes <c>scale * q - offset</c> for 32 unsigned bytes as 32 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<byte> q, Vector256<float> scale, Vector256<float> offset, Span<float> destination)
    {
        var (w0, w1) = Vector256.Widen(q);
        var (i0, i1) = Vector256.Widen(w0);
        var (i2, i3) = Vector256.Widen(w1);
        ref var o = ref MemoryMarshal.GetReference(destination);
        ((scale * Vector256.ConvertToSingle(i0.AsInt32())) - offset).StoreUnsafe(ref o, 0);
        ((scale * Vector256.ConvertToSingle(i1.AsInt32())) - offset).StoreUnsafe(ref o, 8);
        ((scale * Vector256.ConvertToSingle(i2.AsInt32())) - offset).StoreUnsafe(ref o, 16);
        ((scale * Vector256.ConvertToSingle(i3.AsInt32())) - offset).StoreUnsafe(ref o, 24);
    }
}
