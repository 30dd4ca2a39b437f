using System.Buffers.Binary;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707

/// <summary>The 32-element block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0.</summary>
public static partial class Dequantize
{
    private const int QK = 32;

    /// <summary>block_q4_0 (18 bytes): f16 d, 16 bytes of nibbles; low nibbles are elements 0..15, high 16..31; x = (q - 8) * d.</summary>
    public static void Q4_0(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 18);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 18, 18);
            var d = Half(block, 0);
            var qs = block[2..];
            var y = destination.Slice(b * QK, QK);
            for (var j = 0; j < QK / 2; j++)
            {
                y[j] = ((qs[j] & 0x0F) - 8) * d;
                y[j + (QK / 2)] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    /// <summary>block_q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles; x = q * d + m.</summary>
    public static void Q4_1(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 20);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 20, 20);
            var d = Half(block, 0);
            var m = Half(block, 2);
            var qs = block[4..];
            var y = destination.Slice(b * QK, QK);
            for (var j = 0; j < QK / 2; j++)
            {
                y[j] = ((qs[j] & 0x0F) * d) + m;
                y[j + (QK / 2)] = ((qs[j] >> 4) * d) + m;
            }
        }
    }

    /// <summary>block_q5_0 (22 bytes): f16 d, u32 of fifth bits, 16 bytes of nibbles; x = (q - 16) * d.</summary>
    public static void Q5_0(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 22);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 22, 22);
            var d = Half(block, 0);
            var qh = BinaryPrimitives.ReadUInt32LittleEndian(block[2..]);
            var qs = block[6..];
            var y = destination.Slice(b * QK, QK);
            for (var j = 0; j < QK / 2; j++)
            {
                var xh0 = (int)(((qh >> j) << 4) & 0x10);
                var xh1 = (int)((qh >> (j + 12)) & 0x10);
                y[j] = (((qs[j] & 0x0F) | xh0) - 16) * d;
                y[j + (QK / 2)] = (((qs[j] >> 4) | xh1) - 16) * d;
            }
        }
    }

    /// <summary>block_q5_1 (24 bytes): f16 d, f16 m, u32 of fifth bits, 16 bytes of nibbles; x = q * d + m.</summary>
    public static void Q5_1(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 24);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 24, 24);
            var d = Half(block, 0);
            var m = Half(block, 2);
            var qh = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
            var qs = block[8..];
            var y = destination.Slice(b * QK, QK);
            for (var j = 0; j < QK / 2; j++)
            {
                var xh0 = (int)(((qh >> j) << 4) & 0x10);
                var xh1 = (int)((qh >> (j + 12)) & 0x10);
                y[j] = (((qs[j] & 0x0F) | xh0) * d) + m;
                y[j + (QK / 2)] = (((qs[j] >> 4) | xh1) * d) + m;
            }
        }
    }

    /// <summary>block_q8_0 (34 bytes): f16 d, 32 signed bytes; x = q * d.</summary>
    public static void Q8_0(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QK, 34);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 34, 34);
            var d = Half(block, 0);
            var y = destination.Slice(b * QK, QK);
            for (var j = 0; j < QK; j++)
            {
                y[j] = (sbyte)block[2 + j] * d;
            }
        }
    }
}
