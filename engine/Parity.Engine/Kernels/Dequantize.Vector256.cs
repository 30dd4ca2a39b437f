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
    /// <summary>Whether <see cref="Row"/> uses the vector kernels (tests switch it off to reach the scalar ones).</summary>
    public static bool UseVectorKernels { get; set; } = Vector256.IsHardwareAccelerated;

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
