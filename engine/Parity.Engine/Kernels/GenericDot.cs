using System.Buffers.Binary;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's scalar <c>ggml_vec_dot_*_generic</c> block dots, as llama.cpp's noavx library (SSE2, no FMA) runs them for
/// every token, single or batch (docs/ggml-cpu-numerics-facts.md §6). Integer sums are exact; the float steps, read
/// from the library's disassembly, are separate multiplies and adds in block order:
/// <list type="bullet">
/// <item>Q4_0: <c>sumf += (sumi·d_x)·d_y</c>; Q5_0: <c>sumf += (d_x·d_y)·sumi</c>; Q8_0: <c>sumf += sumi·(d_x·d_y)</c>;</item>
/// <item>Q4_1, Q5_1: <c>sumf += ((d_x·d_y)·sumi + m_x·s_y)</c>;</item>
/// <item>Q2_K: <c>sumf += (d_y·d_x)·isum − (d_y·dmin_x)·summs</c>, one term per super-block;</item>
/// <item>Q3_K, Q4_K, Q5_K, Q6_K: eight float lanes, lane l collecting the elements ≡ l (mod 8) as
/// <c>sums[l] += (d_x·d_y)·aux32[l]</c> per super-block, Q4_K and Q5_K also <c>sumf −= (dmin_x·d_y)·Σ min·bsums</c>;
/// at the end <c>sumf += sums[0]</c>, …, <c>sums[7]</c> in order.</item>
/// </list>
/// The scalar code is both the reference and the kernel: these orders admit no vector form that rounds the same way.
/// </summary>
public static class GenericDot
{
    private const int QK = 32;
    private const int QKK = 256;

    /// <summary>The noavx library's vec_dot for <paramref name="type"/>: each of <paramref name="results"/>.Length rows against <paramref name="y"/>.</summary>
    public static void Rows(GgmlType type, ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        for (var r = 0; r < results.Length; r++)
        {
            results[r] = Row(type, rows.Slice(r * rowBytes, rowBytes), y);
        }
    }

    /// <summary>One row of <paramref name="type"/> blocks against one activation row.</summary>
    public static float Row(GgmlType type, ReadOnlySpan<byte> weights, ActivationRow y) => type switch
    {
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.Q4_1 or GgmlType.Q5_1 => Legacy(type, weights, y),
        GgmlType.Q2_K => Q2K(weights, y),
        GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => KQuantLanes(type, weights, y),
        _ => throw new NotSupportedException($"ggml type {type} has no generic block dot in the engine"),
    };

    private static float Legacy(GgmlType type, ReadOnlySpan<byte> weights, ActivationRow y)
    {
        Span<int> qx = stackalloc int[QK];
        var blockBytes = GgmlTypeInfo.Get(type).TypeSize;
        var sumf = 0f;
        for (var ib = 0; ib < y.Scales.Length; ib++)
        {
            var block = weights.Slice(ib * blockBytes, blockBytes);
            var (dx, mx) = UnpackLegacy(type, block, qx);
            var qy = y.Quants.Slice(ib * QK, QK);
            var sumi = 0;
            for (var j = 0; j < QK; j++)
            {
                sumi += qx[j] * qy[j];
            }

            var dy = y.Scales[ib];
            sumf += type switch
            {
                GgmlType.Q4_0 => (sumi * dx) * dy,
                GgmlType.Q5_0 => (dx * dy) * sumi,
                GgmlType.Q8_0 => sumi * (dx * dy),
                _ => ((dx * dy) * sumi) + (mx * y.Sums[ib]),
            };
        }

        return sumf;
    }

    /// <summary>A legacy block's 32 quants as the generic kernel multiplies them (offset already applied where ggml applies it), its d and its m.</summary>
    private static (float D, float M) UnpackLegacy(GgmlType type, ReadOnlySpan<byte> block, Span<int> qx)
    {
        switch (type)
        {
            case GgmlType.Q8_0:
                for (var j = 0; j < QK; j++)
                {
                    qx[j] = (sbyte)block[2 + j];
                }

                return (HalfTable.Get(block, 0), 0);
            case GgmlType.Q4_0:
            case GgmlType.Q4_1:
                var offset = type == GgmlType.Q4_0 ? 8 : 0;
                var qs = block[(type == GgmlType.Q4_0 ? 2 : 4)..];
                for (var j = 0; j < QK / 2; j++)
                {
                    qx[j] = (qs[j] & 0x0F) - offset;
                    qx[j + 16] = (qs[j] >> 4) - offset;
                }

                return (HalfTable.Get(block, 0), type == GgmlType.Q4_1 ? HalfTable.Get(block, 2) : 0);
            default:
                var withMin = type == GgmlType.Q5_1;
                var start = withMin ? 4 : 2;
                var qh = BinaryPrimitives.ReadUInt32LittleEndian(block[start..]);
                var q5 = block[(start + 4)..];
                var bias = withMin ? 0 : 16;
                for (var j = 0; j < QK / 2; j++)
                {
                    qx[j] = ((q5[j] & 0x0F) | (int)(((qh >> j) << 4) & 0x10)) - bias;
                    qx[j + 16] = ((q5[j] >> 4) | (int)((qh >> (j + 12)) & 0x10)) - bias;
                }

                return (HalfTable.Get(block, 0), withMin ? HalfTable.Get(block, 2) : 0);
        }
    }

    private static float Q2K(ReadOnlySpan<byte> weights, ActivationRow y)
    {
        var sumf = 0f;
        for (var i = 0; i < y.Scales.Length; i++)
        {
            var block = weights.Slice(i * 84, 84);
            var sc = block[..16];
            var bs = y.BlockSums.Slice(i * 16, 16);
            var summs = 0;
            for (var j = 0; j < 16; j++)
            {
                summs += bs[j] * (sc[j] >> 4);
            }

            var dall = y.Scales[i] * HalfTable.Get(block, 80);
            var dmin = y.Scales[i] * HalfTable.Get(block, 82);
            var q8 = y.Quants.Slice(i * QKK, QKK);
            var isum = 0;
            for (var e = 0; e < QKK; e++)
            {
                var (j, s, l) = (e / 128, (e % 128) / 32, e % 32);
                isum += (sc[e / 16] & 0xF) * ((block[16 + (32 * j) + l] >> (2 * s)) & 3) * q8[e];
            }

            sumf += (dall * isum) - (dmin * summs);
        }

        return sumf;
    }

    private static float KQuantLanes(GgmlType type, ReadOnlySpan<byte> weights, ActivationRow y)
    {
        Span<float> sums = stackalloc float[8];
        sums.Clear();
        Span<int> aux32 = stackalloc int[8];
        Span<int> q = stackalloc int[QKK];
        Span<int> scale = stackalloc int[QKK / 16];
        var blockBytes = GgmlTypeInfo.Get(type).TypeSize;
        var sumf = 0f;
        for (var i = 0; i < y.Scales.Length; i++)
        {
            var block = weights.Slice(i * blockBytes, blockBytes);
            var (dx, dminx, mins) = UnpackK(type, block, q, scale, y.BlockSums.IsEmpty ? default : y.BlockSums.Slice(i * 16, 16));
            var q8 = y.Quants.Slice(i * QKK, QKK);
            aux32.Clear();
            for (var e = 0; e < QKK; e++)
            {
                aux32[e % 8] += scale[e / 16] * (q8[e] * q[e]);
            }

            var d = dx * y.Scales[i];
            for (var l = 0; l < 8; l++)
            {
                sums[l] += d * aux32[l];
            }

            if (type is GgmlType.Q4_K or GgmlType.Q5_K)
            {
                sumf -= (dminx * y.Scales[i]) * mins;
            }
        }

        for (var l = 0; l < 8; l++)
        {
            sumf += sums[l];
        }

        return sumf;
    }

    /// <summary>
    /// A K-quant super-block's 256 quants in element order (offsets applied), the scale of each 16 elements (Q4_K and
    /// Q5_K repeat each 32-element scale), d and dmin, and Σ_j bsums[j]·min[j/2] (Q4_K, Q5_K; else 0).
    /// </summary>
    private static (float D, float Dmin, int Mins) UnpackK(GgmlType type, ReadOnlySpan<byte> block, Span<int> q, Span<int> scale, ReadOnlySpan<short> bsums)
    {
        switch (type)
        {
            case GgmlType.Q3_K:
                Span<sbyte> sc3 = stackalloc sbyte[16];
                Dequantize.UnpackQ3KScales(block.Slice(96, 12), sc3);
                for (var e = 0; e < QKK; e++)
                {
                    var (j, s, l) = (e / 128, (e % 128) / 32, e % 32);
                    q[e] = ((block[32 + (32 * j) + l] >> (2 * s)) & 3) - ((block[l] & (1 << ((4 * j) + s))) != 0 ? 0 : 4);
                }

                for (var k = 0; k < 16; k++)
                {
                    scale[k] = sc3[k] - 32;
                }

                return (HalfTable.Get(block, 108), 0, 0);
            case GgmlType.Q6_K:
                for (var e = 0; e < QKK; e++)
                {
                    var (j, k, l) = (e / 128, (e % 128) / 32, e % 32);
                    var ql = block[(64 * j) + (32 * (k % 2)) + l];
                    var low = k < 2 ? ql & 0xF : ql >> 4;
                    q[e] = (low | (((block[128 + (32 * j) + l] >> (2 * k)) & 3) << 4)) - 32;
                }

                for (var k = 0; k < 16; k++)
                {
                    scale[k] = (sbyte)block[192 + k];
                }

                return (HalfTable.Get(block, 208), 0, 0);
            default:
                var q5 = type == GgmlType.Q5_K;
                var qs = block[(q5 ? 48 : 16)..];
                for (var e = 0; e < QKK; e++)
                {
                    var (j, r) = (e / 64, e % 64);
                    var nibble = r < 32 ? qs[(32 * j) + r] & 0xF : qs[(32 * j) + r - 32] >> 4;
                    q[e] = nibble + (q5 && ((block[16 + (e % 32)] >> (e / 32)) & 1) != 0 ? 16 : 0);
                }

                var mins = 0;
                for (var k = 0; k < 8; k++)
                {
                    var (sc, m) = Dequantize.ScaleMinK4(k, block.Slice(4, 12));
                    scale[2 * k] = sc;
                    scale[(2 * k) + 1] = sc;
                    mins += (bsums[2 * k] * m) + (bsums[(2 * k) + 1] * m);
                }

                return (HalfTable.Get(block, 0), HalfTable.Get(block, 2), mins);
        }
    }
}
