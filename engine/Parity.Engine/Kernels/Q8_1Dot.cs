using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's <c>ggml_vec_dot_q4_1_q8_1</c> and <c>ggml_vec_dot_q5_1_q8_1</c> as the x86 AVX2 path computes them: per
/// 32-element block eight exact lane sums of (unsigned quant)·qy (lane t: elements 4t..4t+3),
/// <c>acc[t] = fma(d_x·d_y, lane_t, acc[t])</c>, and apart <c>summs = fma(m_x, s_y, summs)</c> (s_y the F16 block sum
/// of Q8_1). Result <c>hsum_float_8(acc) + summs</c>. The AVX2 kernel and the scalar reference do the same float
/// operations.
/// </summary>
internal static class Q8_1Dot
{
    /// <summary>Whether <see cref="Row"/> runs <see cref="RowAvx2"/> on this machine (else <see cref="RowScalar"/>).</summary>
    public static readonly bool UseAvx2 = Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The table's vec_dot for <paramref name="type"/>: each of <paramref name="results"/>.Length rows (<paramref name="rowBytes"/> apart) against <paramref name="y"/>.</summary>
    public static void Rows(GgmlType type, ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = 0; r < results.Length; r++)
        {
            results[r] = Row(type, rows.Slice(r * rowBytes, rowBytes), y.Quants, y.Scales, y.Sums);
        }
    }

    public static float Row(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> q, ReadOnlySpan<float> d, ReadOnlySpan<float> s) =>
        UseAvx2 ? RowAvx2(type, weights, q, d, s) : RowScalar(type, weights, q, d, s);

    public static float RowScalar(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> q, ReadOnlySpan<float> d, ReadOnlySpan<float> s)
    {
        var blockBytes = GgmlTypeInfo.Get(type).TypeSize;
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        Span<int> qx = stackalloc int[32];
        var summs = 0f;
        for (var b = 0; b < d.Length; b++)
        {
            var block = weights.Slice(b * blockBytes, blockBytes);
            Unpack(type, block, qx);
            var qy = q.Slice(b * 32, 32);
            var db = HalfTable.Get(block, 0) * d[b];
            for (var t = 0; t < 8; t++)
            {
                var lane = 0;
                for (var j = 4 * t; j < (4 * t) + 4; j++)
                {
                    lane += qx[j] * qy[j];
                }

                acc[t] = MathF.FusedMultiplyAdd(db, lane, acc[t]);
            }

            summs = MathF.FusedMultiplyAdd(HalfTable.Get(block, 2), s[b], summs);
        }

        return Q8_0Dot.HorizontalSum(acc) + summs;
    }

    /// <summary>The AVX2 kernel (needs AVX2 and FMA): <see cref="RowScalar"/>'s operations, eight lanes at a time.</summary>
    public static unsafe float RowAvx2(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> q, ReadOnlySpan<float> d, ReadOnlySpan<float> s)
    {
        var blockBytes = GgmlTypeInfo.Get(type).TypeSize;
        var acc = Vector256<float>.Zero;
        var summs = 0f;
        var low = Vector128.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        fixed (byte* w = weights)
        fixed (sbyte* y = q)
        {
            for (var b = 0; b < d.Length; b++)
            {
                var block = w + (b * blockBytes);
                Vector256<byte> qx;
                if (type == GgmlType.Q4_1)
                {
                    var packed = Sse2.LoadVector128(block + 4);
                    qx = Vector256.Create(packed & low, Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low);
                }
                else
                {
                    var packed = Sse2.LoadVector128(block + 8);
                    qx = Vector256.Create(packed & low, Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low) | Dequantize.FifthBitVector(*(uint*)(block + 4));
                }

                var lanes = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(qx, Avx.LoadVector256(y + (b * 32))), ones);
                acc = Fma.MultiplyAdd(Vector256.Create(HalfTable.Get(block) * d[b]), Avx.ConvertToVector256Single(lanes), acc);
                summs = MathF.FusedMultiplyAdd(HalfTable.Get(block + 2), s[b], summs);
            }
        }

        return Q8_0Dot.HorizontalSum(acc) + summs;
    }

    private static void Unpack(GgmlType type, ReadOnlySpan<byte> block, Span<int> qx)
    {
        if (type == GgmlType.Q4_1)
        {
            for (var j = 0; j < 16; j++)
            {
                qx[j] = block[4 + j] & 0x0F;
                qx[j + 16] = block[4 + j] >> 4;
            }

            return;
        }

        var qh = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
        for (var j = 0; j < 16; j++)
        {
            qx[j] = (block[8 + j] & 0x0F) | (int)(((qh >> j) << 4) & 0x10);
            qx[j + 16] = (block[8 + j] >> 4) | (int)((qh >> (j + 12)) & 0x10);
        }
    }
}
