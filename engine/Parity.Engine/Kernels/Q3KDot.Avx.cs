using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// <c>ggml_vec_dot_q3_K_q8_K</c> as llama.cpp's AVX library computes it (its <c>__AVX__</c> branch, read from the
/// disassembly: one <c>vfmadd213ps</c> per super-block): the AVX2 order's float steps, but the scale products summed in
/// the lanes of <see cref="KQuantAvxLanes"/>.
/// </summary>
public static partial class Q3KDot
{
    /// <summary>The AVX library's vec_dot: each row against <paramref name="y"/>.</summary>
    public static void RowsAvx(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = 0; r < results.Length; r++)
        {
            var row = rows.Slice(r * rowBytes, rowBytes);
            results[r] = Ssse3.IsSupported && Fma.IsSupported ? RowAvxVector(row, y.Quants, y.Scales) : RowScalarAvx(row, y.Quants, y.Scales);
        }
    }

    /// <summary>The reference: every product into its AVX lane, one element at a time.</summary>
    public static float RowScalarAvx(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        Span<int> sumi = stackalloc int[8];
        Span<sbyte> sc = stackalloc sbyte[16];
        for (var i = 0; i < scales.Length; i++)
        {
            var block = weights.Slice(i * 110, 110);
            var hmask = block[..32];
            Dequantize.UnpackQ3KScales(block.Slice(96, 12), sc);
            var d = scales[i] * HalfTable.Get(block, 108);
            var q8 = quants.Slice(i * QKK, QKK);
            sumi.Clear();
            for (var j = 0; j < 2; j++)
            {
                for (var s = 0; s < 4; s++)
                {
                    var bit = 1 << ((4 * j) + s);
                    for (var l = 0; l < 32; l++)
                    {
                        var q = ((block[32 + (32 * j) + l] >> (2 * s)) & 3) - ((hmask[l] & bit) != 0 ? 0 : 4);
                        var scale = sc[(8 * j) + KQuantAvxLanes.Chunk(s, l)] - 32;
                        sumi[KQuantAvxLanes.Lane(s, l)] += scale * q * q8[(128 * j) + (32 * s) + l];
                    }
                }
            }

            for (var t = 0; t < 8; t++)
            {
                acc[t] = MathF.FusedMultiplyAdd(d, sumi[t], acc[t]);
            }
        }

        return Q8_0Dot.HorizontalSum(acc);
    }

    /// <summary>The vector kernel (needs SSSE3 and FMA), on 128-bit halves as the AVX library's code: <see cref="RowScalarAvx"/>'s float operations.</summary>
    public static unsafe float RowAvxVector(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        var acc = Vector256<float>.Zero;
        var three = Vector128.Create((byte)3);
        var four = Vector128.Create((byte)4);
        Span<sbyte> sc = stackalloc sbyte[16];
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 110);
                Dequantize.UnpackQ3KScales(new ReadOnlySpan<byte>(block + 96, 12), sc);
                var d = scales[i] * HalfTable.Get(block + 108);
                var lo = Vector128<int>.Zero;
                var hi = Vector128<int>.Zero;
                for (var j = 0; j < 2; j++)
                {
                    for (var k = 0; k < 8; k++)
                    {
                        var half = 16 * (k % 2);
                        var bits = Sse2.LoadVector128(block + 32 + (32 * j) + half);
                        var hmask = Sse2.LoadVector128(block + half);
                        var q8 = Sse2.LoadVector128(y + (i * QKK) + (128 * j) + (16 * k));
                        var low = Vector128.ShiftRightLogical(bits.AsUInt16(), 2 * (k / 2)).AsByte() & three;
                        var clear = Vector128.Equals(hmask & Vector128.Create((byte)(1 << ((4 * j) + (k / 2)))), Vector128<byte>.Zero) & four;
                        var p = Ssse3.MultiplyAddAdjacent(low, q8) - Ssse3.MultiplyAddAdjacent(clear, q8);
                        var scaled = Sse2.MultiplyAddAdjacent(p, Vector128.Create((short)(sc[(8 * j) + k] - 32)));
                        if (k < 4)
                        {
                            lo += scaled;
                        }
                        else
                        {
                            hi += scaled;
                        }
                    }
                }

                acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(Vector256.Create(lo, hi)), acc);
            }
        }

        return Q8_0Dot.HorizontalSum(acc);
    }
}
