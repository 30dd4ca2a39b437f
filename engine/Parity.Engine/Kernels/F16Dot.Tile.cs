using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

/// <summary>
/// tinyBLAS's order (<see cref="TinyBlas"/>) for a tile of 2 weight rows × 4 tokens, as tinyBLAS itself tiles: each
/// pair keeps its own 16-lane accumulator (two 8-lane halves), so the pair's bits are <see cref="TinyBlas"/>'s, while
/// the 16 independent FMA chains keep the FMA units busy instead of waiting on one chain's latency.
/// </summary>
public static partial class F16Dot
{
    /// <summary>Whether <see cref="TinyBlasTile"/> has a vector kernel here.</summary>
    public static bool TileSupported => Fma.IsSupported;

    /// <summary>
    /// Rows <paramref name="row0"/>, <paramref name="row1"/> (<paramref name="length"/> floats, a multiple of 16)
    /// against 4 input rows starting at <paramref name="x"/>, <paramref name="xStride"/> floats apart; writes
    /// <c>results[2·token + row]</c>.
    /// </summary>
    public static unsafe void TinyBlasTile(float* row0, float* row1, float* x, int xStride, int length, Span<float> results)
    {
        if (!TileSupported || length % 16 != 0)
        {
            throw new InvalidOperationException("the tinyBLAS tile needs FMA and a length that is a multiple of 16");
        }

        Vector256<float> l00 = default, h00 = default, l01 = default, h01 = default, l02 = default, h02 = default, l03 = default, h03 = default;
        Vector256<float> l10 = default, h10 = default, l11 = default, h11 = default, l12 = default, h12 = default, l13 = default, h13 = default;
        var x1 = x + xStride;
        var x2 = x + (2 * xStride);
        var x3 = x + (3 * xStride);
        for (var i = 0; i < length; i += 16)
        {
            var a0 = Avx.LoadVector256(row0 + i);
            var b0 = Avx.LoadVector256(row0 + i + 8);
            var a1 = Avx.LoadVector256(row1 + i);
            var b1 = Avx.LoadVector256(row1 + i + 8);
            var y = Avx.LoadVector256(x + i);
            var z = Avx.LoadVector256(x + i + 8);
            l00 = Fma.MultiplyAdd(a0, y, l00);
            h00 = Fma.MultiplyAdd(b0, z, h00);
            l10 = Fma.MultiplyAdd(a1, y, l10);
            h10 = Fma.MultiplyAdd(b1, z, h10);
            y = Avx.LoadVector256(x1 + i);
            z = Avx.LoadVector256(x1 + i + 8);
            l01 = Fma.MultiplyAdd(a0, y, l01);
            h01 = Fma.MultiplyAdd(b0, z, h01);
            l11 = Fma.MultiplyAdd(a1, y, l11);
            h11 = Fma.MultiplyAdd(b1, z, h11);
            y = Avx.LoadVector256(x2 + i);
            z = Avx.LoadVector256(x2 + i + 8);
            l02 = Fma.MultiplyAdd(a0, y, l02);
            h02 = Fma.MultiplyAdd(b0, z, h02);
            l12 = Fma.MultiplyAdd(a1, y, l12);
            h12 = Fma.MultiplyAdd(b1, z, h12);
            y = Avx.LoadVector256(x3 + i);
            z = Avx.LoadVector256(x3 + i + 8);
            l03 = Fma.MultiplyAdd(a0, y, l03);
            h03 = Fma.MultiplyAdd(b0, z, h03);
            l13 = Fma.MultiplyAdd(a1, y, l13);
            h13 = Fma.MultiplyAdd(b1, z, h13);
        }

        results[0] = Reduce16(l00, h00);
        results[1] = Reduce16(l10, h10);
        results[2] = Reduce16(l01, h01);
        results[3] = Reduce16(l11, h11);
        results[4] = Reduce16(l02, h02);
        results[5] = Reduce16(l12, h12);
        results[6] = Reduce16(l03, h03);
        results[7] = Reduce16(l13, h13);
    }
}
