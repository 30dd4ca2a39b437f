using System.Buffers.Binary;

namespace Parity.TestEngine;

/// <summary>
/// ggml's block formats this engine widens to float32, as ggml's <c>dequantize_row_*</c> reads them: Q8_0 (32 values, an
/// F16 scale and 32 signed bytes), Q4_K (256 values: F16 d and dmin, twelve bytes of packed 6-bit scales and mins,
/// 128 bytes of nibbles) and Q6_K (256 values: 128 bytes of low nibbles, 64 of high bit pairs, 16 signed scales, an
/// F16 d). The engine then computes in float, so its error against llama.cpp is what quantizing the activations costs
/// there (the f32-numerics tolerance rules).
/// </summary>
internal static class Dequantize
{
    public const int Q8_0 = 8;
    public const int Q4_K = 12;
    public const int Q6_K = 14;

    /// <summary>Bytes of one block and values it holds, for the types this engine reads; null for any other.</summary>
    public static (int Bytes, int Values)? Block(int type) => type switch
    {
        Q8_0 => (34, 32),
        Q4_K => (144, 256),
        Q6_K => (210, 256),
        _ => null,
    };

    public static void Row(int type, ReadOnlySpan<byte> data, Span<float> values)
    {
        var (bytes, count) = Block(type)!.Value;
        for (var b = 0; b < values.Length / count; b++)
        {
            var block = data.Slice(b * bytes, bytes);
            var y = values.Slice(b * count, count);
            switch (type)
            {
                case Q8_0:
                    BlockQ8_0(block, y);
                    break;
                case Q4_K:
                    BlockQ4_K(block, y);
                    break;
                default:
                    BlockQ6_K(block, y);
                    break;
            }
        }
    }

    private static float Half(ReadOnlySpan<byte> b) => (float)BinaryPrimitives.ReadHalfLittleEndian(b);

    private static void BlockQ8_0(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block);
        for (var i = 0; i < 32; i++)
        {
            y[i] = (sbyte)block[2 + i] * d;
        }
    }

    private static void BlockQ4_K(ReadOnlySpan<byte> block, Span<float> y)
    {
        var (d, min) = (Half(block), Half(block[2..]));
        var scales = block.Slice(4, 12);
        var q = block[16..];
        for (int j = 0, sub = 0; j < 256; j += 64, sub += 2)
        {
            var (s1, m1) = ScaleMin(sub, scales);
            var (s2, m2) = ScaleMin(sub + 1, scales);
            float d1 = d * s1, dm1 = min * m1, d2 = d * s2, dm2 = min * m2;
            for (var l = 0; l < 32; l++)
            {
                y[j + l] = (d1 * (q[l] & 0xF)) - dm1;
                y[j + 32 + l] = (d2 * (q[l] >> 4)) - dm2;
            }

            q = q[32..];
        }
    }

    // The k-th of eight 6-bit (scale, min) pairs packed into twelve bytes.
    private static (int Scale, int Min) ScaleMin(int k, ReadOnlySpan<byte> s) => k < 4
        ? (s[k] & 63, s[k + 4] & 63)
        : ((s[k + 4] & 0xF) | ((s[k - 4] >> 6) << 4), (s[k + 4] >> 4) | ((s[k] >> 6) << 4));

    private static void BlockQ6_K(ReadOnlySpan<byte> block, Span<float> y)
    {
        var ql = block[..128];
        var qh = block.Slice(128, 64);
        var sc = block.Slice(192, 16);
        var d = Half(block[208..]);
        for (var n = 0; n < 2; n++)
        {
            var l0 = ql[(64 * n)..];
            var h0 = qh[(32 * n)..];
            var s0 = sc[(8 * n)..];
            var y0 = y[(128 * n)..];
            for (var l = 0; l < 32; l++)
            {
                var i = l / 16;
                var q1 = ((l0[l] & 0xF) | (((h0[l] >> 0) & 3) << 4)) - 32;
                var q2 = ((l0[l + 32] & 0xF) | (((h0[l] >> 2) & 3) << 4)) - 32;
                var q3 = ((l0[l] >> 4) | (((h0[l] >> 4) & 3) << 4)) - 32;
                var q4 = ((l0[l + 32] >> 4) | (((h0[l] >> 6) & 3) << 4)) - 32;
                y0[l] = d * (sbyte)s0[i] * q1;
                y0[l + 32] = d * (sbyte)s0[i + 2] * q2;
                y0[l + 64] = d * (sbyte)s0[i + 4] * q3;
                y0[l + 96] = d * (sbyte)s0[i + 6] * q4;
            }
        }
    }
}
