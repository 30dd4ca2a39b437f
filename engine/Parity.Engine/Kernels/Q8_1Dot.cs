using System.Buffers.Binary;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's Q4_1 x Q8_1 and Q5_1 x Q8_1 dot products: per block the exact integer sum Σ qx·qy, then
/// (dx·dy)·sum accumulated in float, and mx·sy accumulated apart and added at the end, as ggml's kernels do.
/// </summary>
internal static class Q8_1Dot
{
    public static float Row(GgmlType type, ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> q, ReadOnlySpan<float> d, ReadOnlySpan<float> s)
    {
        var blockBytes = type == GgmlType.Q4_1 ? 20 : 24;
        var acc = 0f;
        var mins = 0f;
        for (var b = 0; b < d.Length; b++)
        {
            var block = weights.Slice(b * blockBytes, blockBytes);
            var dx = Dequantize.Half(block, 0);
            var mx = Dequantize.Half(block, 2);
            var qy = q.Slice(b * 32, 32);
            var sum = 0;
            if (type == GgmlType.Q4_1)
            {
                var qs = block[4..];
                for (var j = 0; j < 16; j++)
                {
                    sum += ((qs[j] & 0x0F) * qy[j]) + ((qs[j] >> 4) * qy[j + 16]);
                }
            }
            else
            {
                var qh = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
                var qs = block[8..];
                for (var j = 0; j < 16; j++)
                {
                    var x0 = (qs[j] & 0x0F) | (int)(((qh >> j) << 4) & 0x10);
                    var x1 = (qs[j] >> 4) | (int)((qh >> (j + 12)) & 0x10);
                    sum += (x0 * qy[j]) + (x1 * qy[j + 16]);
                }
            }

            acc += dx * d[b] * sum;
            mins += mx * s[b];
        }

        return acc + mins;
    }
}
