using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's <c>ggml_vec_dot_q3_K_q8_K</c> as its x86 AVX2 path computes it: lane t = Σ over the eight 32-element chunks
/// of (6-bit scale − 32) × Σ of bytes 4t..4t+3 of (2-bit quant − 4 where the high-bit mask is clear)·q8, then
/// <c>acc = fma(d_y·d_x, sumi, acc)</c> per super-block and <c>hsum_float_8(acc)</c>.
/// </summary>
public static partial class Q3KDot
{
    private const int QKK = 256;

    /// <summary>Whether <see cref="Row"/> runs <see cref="RowAvx2"/> on this machine (else <see cref="RowScalar"/>).</summary>
    public static readonly bool UseAvx2 = Avx2.IsSupported && Fma.IsSupported;

    public static float Row(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales) =>
        UseAvx2 ? RowAvx2(weights, quants, scales) : RowScalar(weights, quants, scales);

    /// <summary>The table's vec_dot: each of <paramref name="results"/>.Length rows (<paramref name="rowBytes"/> apart) against <paramref name="y"/>.</summary>
    public static void Rows(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = 0; r < results.Length; r++)
        {
            results[r] = Row(rows.Slice(r * rowBytes, rowBytes), y.Quants, y.Scales);
        }
    }

    public static float RowScalar(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
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
                var qs = block.Slice(32 + (32 * j), 32);
                for (var k = 0; k < 4; k++)
                {
                    var bit = 1 << ((4 * j) + k);
                    for (var t = 0; t < 8; t++)
                    {
                        var lane = 0;
                        for (var b = 4 * t; b < (4 * t) + 4; b++)
                        {
                            lane += (((qs[b] >> (2 * k)) & 3) - ((hmask[b] & bit) != 0 ? 0 : 4)) * q8[(128 * j) + (32 * k) + b];
                        }

                        sumi[t] += (sc[(8 * j) + (2 * k) + (t >= 4 ? 1 : 0)] - 32) * lane;
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
    public static unsafe float RowAvx2(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        var acc = Vector256<float>.Zero;
        var three = Vector256.Create((byte)3);
        var four = Vector256.Create((byte)4);
        Span<sbyte> sc = stackalloc sbyte[16];
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        {
            for (var i = 0; i < scales.Length; i++)
            {
                var block = w + (i * 110);
                var hmask = Avx.LoadVector256(block);
                Dequantize.UnpackQ3KScales(new ReadOnlySpan<byte>(block + 96, 12), sc);
                var d = scales[i] * HalfTable.Get(block + 108);
                var sumi = Vector256<int>.Zero;
                for (var j = 0; j < 2; j++)
                {
                    var qs = Avx.LoadVector256(block + 32 + (32 * j));
                    for (var k = 0; k < 4; k++)
                    {
                        var q8 = Avx.LoadVector256(y + (i * QKK) + (128 * j) + (32 * k));
                        var low = Vector256.ShiftRightLogical(qs.AsUInt16(), 2 * k).AsByte() & three;
                        var clear = Vector256.Equals(hmask & Vector256.Create((byte)(1 << ((4 * j) + k))), Vector256<byte>.Zero) & four;

                        // (q - 4·clear)·q8 as ggml does it: maddubs(q, q8) - maddubs(4·clear, q8), exact in int16.
                        var p = Avx2.MultiplyAddAdjacent(low, q8) - Avx2.MultiplyAddAdjacent(clear, q8);
                        var sa = (short)(sc[(8 * j) + (2 * k)] - 32);
                        var sb = (short)(sc[(8 * j) + (2 * k) + 1] - 32);
                        sumi += Avx2.MultiplyAddAdjacent(p, Vector256.Create(Vector128.Create(sa), Vector128.Create(sb)));
                    }
                }

                acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
            }
        }

        return Q8_0Dot.HorizontalSum(acc);
    }
}
