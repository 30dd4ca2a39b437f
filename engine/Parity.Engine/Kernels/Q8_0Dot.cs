using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's <c>ggml_vec_dot_{q4_0,q5_0,q8_0}_q8_0</c> as its x86 AVX2 path computes it (docs/ggml-cpu-numerics-facts.md
/// §4): per 32-element block, eight exact integer lane sums (lane t = Σ of elements 4t..4t+3 of qx·qy), then
/// <c>acc[t] = fma(d_x·d_y, lane_t, acc[t])</c>, and at the end <c>((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7))</c>.
/// The scalar reference and the AVX2 kernel perform the same float operations, so every machine gets the same bits,
/// and so does llama.cpp (its batch path, tinyBLAS, computes the same for these types).
/// </summary>
public static partial class Q8_0Dot
{
    private const int QK = 32;

    /// <summary>Whether <see cref="Row"/> runs <see cref="RowAvx2"/> on this machine (else <see cref="RowScalar"/>).</summary>
    public static readonly bool UseAvx2 = Avx2.IsSupported && Fma.IsSupported;

    /// <summary>One weight row (blocks of <paramref name="type"/>) against one activation row in Q8_0 blocks.</summary>
    public static float Row(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales) =>
        UseAvx2 ? RowAvx2(type, weights, quants, scales) : RowScalar(type, weights, quants, scales);

    /// <summary>The table's vec_dot for <paramref name="type"/>: each of <paramref name="results"/>.Length rows (<paramref name="rowBytes"/> apart) against <paramref name="y"/>.</summary>
    public static void Rows(GgmlType type, ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = 0; r < results.Length; r++)
        {
            results[r] = Row(type, rows.Slice(r * rowBytes, rowBytes), y.Quants, y.Scales);
        }
    }

    /// <summary>The reference: the same integer lane sums and float operations, one lane at a time.</summary>
    public static float RowScalar(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        Span<sbyte> qx = stackalloc sbyte[QK];
        var blockBytes = GgmlTypeInfo.Get(type).TypeSize;
        for (var ib = 0; ib < scales.Length; ib++)
        {
            var dx = Unpack(type, weights.Slice(ib * blockBytes, blockBytes), qx);
            var d = dx * scales[ib];
            var qy = quants.Slice(ib * QK, QK);
            for (var t = 0; t < 8; t++)
            {
                var lane = 0;
                for (var b = 4 * t; b < (4 * t) + 4; b++)
                {
                    lane += qx[b] * qy[b];
                }

                acc[t] = MathF.FusedMultiplyAdd(d, lane, acc[t]);
            }
        }

        return HorizontalSum(acc);
    }

    /// <summary>ggml's <c>hsum_float_8</c> order, for an AVX2 accumulator.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(Vector256<float> a) =>
        ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));

    /// <summary>ggml's <c>hsum_float_8</c> order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(ReadOnlySpan<float> a) =>
        ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));

    /// <summary>The AVX2 kernel (needs AVX2 and FMA): <see cref="RowScalar"/>'s operations, eight lanes at a time.</summary>
    public static unsafe float RowAvx2(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales)
    {
        var acc = Vector256<float>.Zero;
        var blocks = scales.Length;
        fixed (byte* w = weights)
        fixed (sbyte* y = quants)
        fixed (float* ys = scales)
        {
            switch (type)
            {
                case GgmlType.Q8_0:
                    for (var ib = 0; ib < blocks; ib++)
                    {
                        var block = w + (ib * 34);
                        StreamPrefetch.Ahead(block, 34);
                        var qx = Avx.LoadVector256((sbyte*)(block + 2));
                        acc = Accumulate(acc, qx, Avx.LoadVector256(y + (ib * QK)), HalfTable.Get(block) * ys[ib]);
                    }

                    break;
                case GgmlType.Q4_0:
                {
                    var low = Vector128.Create((byte)0x0F);
                    var eight = Vector256.Create((sbyte)8);
                    for (var ib = 0; ib < blocks; ib++)
                    {
                        var block = w + (ib * 18);
                        StreamPrefetch.Ahead(block, 18);
                        var q = Sse2.LoadVector128(block + 2);
                        var qx = Vector256.Create(q & low, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & low).AsSByte() - eight;
                        acc = Accumulate(acc, qx, Avx.LoadVector256(y + (ib * QK)), HalfTable.Get(block) * ys[ib]);
                    }

                    break;
                }

                default: // Q5_0
                {
                    var low = Vector128.Create((byte)0x0F);
                    var sixteen = Vector256.Create((sbyte)16);
                    for (var ib = 0; ib < blocks; ib++)
                    {
                        var block = w + (ib * 22);
                        var q = Sse2.LoadVector128(block + 6);
                        var high = Dequantize.FifthBitVector(*(uint*)(block + 2));
                        var qx = (Vector256.Create(q & low, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & low) | high).AsSByte() - sixteen;
                        acc = Accumulate(acc, qx, Avx.LoadVector256(y + (ib * QK)), HalfTable.Get(block) * ys[ib]);
                    }

                    break;
                }
            }
        }

        return HorizontalSum(acc);
    }

    /// <summary>ggml's <c>mul_sum_i8_pairs_float</c> and FMA: |x| times y with x's sign, pairs to int16, pairs to int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<float> acc, Vector256<sbyte> qx, Vector256<sbyte> qy, float d)
    {
        var products = Avx2.MultiplyAddAdjacent(Avx2.Abs(qx), Avx2.Sign(qy, qx));
        var lanes = Avx2.MultiplyAddAdjacent(products, Vector256.Create((short)1));
        return Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);
    }

    /// <summary>The block's 32 signed quants as ggml's kernel sees them, and its scale.</summary>
    private static float Unpack(GgmlType type, ReadOnlySpan<byte> block, Span<sbyte> qx)
    {
        switch (type)
        {
            case GgmlType.Q8_0:
                MemoryMarshal.Cast<byte, sbyte>(block.Slice(2, 32)).CopyTo(qx);
                break;
            case GgmlType.Q4_0:
                for (var j = 0; j < 16; j++)
                {
                    qx[j] = (sbyte)((block[2 + j] & 0x0F) - 8);
                    qx[j + 16] = (sbyte)((block[2 + j] >> 4) - 8);
                }

                break;
            default:
                var qh = BinaryPrimitives.ReadUInt32LittleEndian(block[2..]);
                for (var j = 0; j < 16; j++)
                {
                    qx[j] = (sbyte)(((block[6 + j] & 0x0F) | (int)(((qh >> j) << 4) & 0x10)) - 16);
                    qx[j + 16] = (sbyte)(((block[6 + j] >> 4) | (int)((qh >> (j + 12)) & 0x10)) - 16);
                }

                break;
        }

        return HalfTable.Get(block, 0);
    }
}
