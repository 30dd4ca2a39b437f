using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's <c>ggml_vec_dot_q2_K_q8_K</c> as its x86 AVX2 path computes it: per super-block first the mins,
/// <c>acc = fma(-d_y·dmin_x, prod, acc)</c> with prod lane t = min[2t]·bsums[2t] + min[2t+1]·bsums[2t+1], then
/// <c>acc = fma(d_y·d_x, sumi, acc)</c> with lane t = Σ over the eight 32-element chunks of
/// scale × Σ of bytes 4t..4t+3 of (2-bit quant)·q8. Result <c>hsum_float_8(acc)</c>.
/// </summary>
public static partial class Q2KDot
{
    private const int QKK = 256;

    /// <summary>Whether <see cref="Row"/> runs <see cref="RowAvx2"/> on this machine (else <see cref="RowScalar"/>).</summary>
    public static readonly bool UseAvx2 = Avx2.IsSupported && Fma.IsSupported;

    public static float Row(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums) =>
        UseAvx2 ? RowAvx2(weights, quants, scales, bsums) : RowScalar(weights, quants, scales, bsums);

    /// <summary>The table's vec_dot: each of <paramref name="results"/>.Length rows (<paramref name="rowBytes"/> apart) against <paramref name="y"/>.</summary>
    public static void Rows(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = 0; r < results.Length; r++)
        {
            results[r] = Row(rows.Slice(r * rowBytes, rowBytes), y.Quants, y.Scales, y.BlockSums);
        }
    }

    public static float RowScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
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
                var qs = block.Slice(16 + (32 * j), 32);
                for (var k = 0; k < 4; k++)
                {
                    for (var t = 0; t < 8; t++)
                    {
                        var lane = 0;
                        for (var b = 4 * t; b < (4 * t) + 4; b++)
                        {
                            lane += ((qs[b] >> (2 * k)) & 3) * q8[(128 * j) + (32 * k) + b];
                        }

                        sumi[t] += (sc[(8 * j) + (2 * k) + (t >= 4 ? 1 : 0)] & 0xF) * lane;
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

    /// <summary>The AVX2 kernel (needs AVX2 and FMA): <see cref="RowScalar"/>'s float operations, eight lanes at a time.</summary>
    public static unsafe float RowAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<short> bsums)
    {
        var acc = Vector256<float>.Zero;
        var three = Vector256.Create((byte)3);
        var lowNibble = Vector128.Create((byte)0x0F);
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (short* bsp = bsums)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 84);
                var d = scales[i] * HalfTable.Get(block + 80);
                var dmin = -scales[i] * HalfTable.Get(block + 82);
                var packed = Sse2.LoadVector128(block);
                var mins16 = Avx2.ConvertToVector256Int16(Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & lowNibble);
                var prod = Avx2.MultiplyAddAdjacent(mins16, Avx.LoadVector256(bsp + (i * 16)));
                acc = Fma.MultiplyAdd(Vector256.Create(dmin), Avx.ConvertToVector256Single(prod), acc);

                var sumi = Vector256<int>.Zero;
                for (var j = 0; j < 2; j++)
                {
                    var qs = Avx.LoadVector256(block + 16 + (32 * j));
                    for (var k = 0; k < 4; k++)
                    {
                        var q2 = Vector256.ShiftRightLogical(qs.AsUInt16(), 2 * k).AsByte() & three;
                        var p = Avx2.MultiplyAddAdjacent(q2, Avx.LoadVector256(y + (i * QKK) + (128 * j) + (32 * k)));
                        var sa = (short)(block[(8 * j) + (2 * k)] & 0xF);
                        var sb = (short)(block[(8 * j) + (2 * k) + 1] & 0xF);
                        sumi += Avx2.MultiplyAddAdjacent(p, Vector256.Create(Vector128.Create(sa), Vector128.Create(sb)));
                    }
                }

                acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
            }
        }

        return Q8_0Dot.HorizontalSum(acc);
    }
}
