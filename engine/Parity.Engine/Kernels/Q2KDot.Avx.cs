using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// <c>ggml_vec_dot_q2_K_q8_K</c> as llama.cpp's AVX library computes it (its <c>__AVX__</c> branch, read from the
/// disassembly: <c>vfmadd132ps</c> for the mins, then for the scales): the AVX2 order's float steps, but the scale
/// products summed in the lanes of <see cref="KQuantAvxLanes"/>.
/// </summary>
public static partial class Q2KDot
{
    /// <summary>The AVX library's vec_dot: each row against <paramref name="y"/>.</summary>
    public static void RowsAvx(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = 0; r < results.Length; r++)
        {
            var row = rows.Slice(r * rowBytes, rowBytes);
            results[r] = Ssse3.IsSupported && Fma.IsSupported ? RowAvxVector(row, y.Quants, y.Scales, y.BlockSums) : RowScalarAvx(row, y.Quants, y.Scales, y.BlockSums);
        }
    }

    /// <summary>The reference: every product into its AVX lane, one element at a time.</summary>
    public static float RowScalarAvx(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        Span<int> sumi = stackalloc int[8];
        for (var i = 0; i < scales.Length; i++)
        {
            var block = weights.Slice(i * 84, 84);
            var sc = block[..16];
            var d = scales[i] * HalfTable.Get(block, 80);
            var dmin = -scales[i] * HalfTable.Get(block, 82);
            var bs = bsums.Slice(i * 16, 16);
            for (var t = 0; t < 8; t++)
            {
                acc[t] = MathF.FusedMultiplyAdd(dmin, ((sc[2 * t] >> 4) * bs[2 * t]) + ((sc[(2 * t) + 1] >> 4) * bs[(2 * t) + 1]), acc[t]);
            }

            var q8 = quants.Slice(i * QKK, QKK);
            sumi.Clear();
            for (var j = 0; j < 2; j++)
            {
                for (var s = 0; s < 4; s++)
                {
                    for (var l = 0; l < 32; l++)
                    {
                        var q = (block[16 + (32 * j) + l] >> (2 * s)) & 3;
                        var scale = sc[(8 * j) + KQuantAvxLanes.Chunk(s, l)] & 0xF;
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
    public static unsafe float RowAvxVector(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        var acc = Vector256<float>.Zero;
        var three = Vector128.Create((byte)3);
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (short* bsp = bsums)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 84);
                var d = scales[i] * HalfTable.Get(block + 80);
                var dmin = -scales[i] * HalfTable.Get(block + 82);
                var mins = Vector256.Create(MinsTimesSums(block, bsp + (i * 16), 0), MinsTimesSums(block, bsp + (i * 16), 4));
                acc = Fma.MultiplyAdd(Vector256.Create(dmin), Avx.ConvertToVector256Single(mins), acc);

                var lo = Vector128<int>.Zero;
                var hi = Vector128<int>.Zero;
                for (var j = 0; j < 2; j++)
                {
                    for (var k = 0; k < 8; k++)
                    {
                        var bits = Sse2.LoadVector128(block + 16 + (32 * j) + (16 * (k % 2)));
                        var q = Vector128.ShiftRightLogical(bits.AsUInt16(), 2 * (k / 2)).AsByte() & three;
                        var p = Ssse3.MultiplyAddAdjacent(q, Sse2.LoadVector128(y + (i * QKK) + (128 * j) + (16 * k)));
                        var scaled = Sse2.MultiplyAddAdjacent(p, Vector128.Create((short)(block[(8 * j) + k] & 0xF)));
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

    /// <summary>Lanes <paramref name="first"/>..+3 of the mins term: min[2t]·bsums[2t] + min[2t+1]·bsums[2t+1].</summary>
    private static unsafe Vector128<int> MinsTimesSums(byte* scales, short* bsums, int first)
    {
        var mins = Vector128.Create(
            (short)(scales[(2 * first) + 0] >> 4), (short)(scales[(2 * first) + 1] >> 4), (short)(scales[(2 * first) + 2] >> 4), (short)(scales[(2 * first) + 3] >> 4),
            (short)(scales[(2 * first) + 4] >> 4), (short)(scales[(2 * first) + 5] >> 4), (short)(scales[(2 * first) + 6] >> 4), (short)(scales[(2 * first) + 7] >> 4));
        return Sse2.MultiplyAddAdjacent(mins, Sse2.LoadVector128(bsums + (2 * first)));
    }
}
