using System.Buffers.Binary;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707

/// <summary>The 256-element super-block types: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.</summary>
public static partial class Dequantize
{
    private const int QKK = 256;

    /// <summary>
    /// block_q2_K (84 bytes): 16 scale bytes (low nibble scale, high nibble min), 64 bytes of 2-bit quants,
    /// f16 d, f16 dmin. Sixteen groups of 16: x = d * scale * q - dmin * min.
    /// </summary>
    public static void Q2_K(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 84);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 84, 84);
            var scales = block[..16];
            var qs = block.Slice(16, 64);
            var d = Half(block, 80);
            var min = Half(block, 82);
            var y = destination.Slice(b * QKK, QKK);
            var yi = 0;
            var si = 0;
            for (var half = 0; half < 2; half++)
            {
                var q = qs.Slice(half * 32, 32);
                for (var shift = 0; shift < 8; shift += 2)
                {
                    for (var part = 0; part < 2; part++)
                    {
                        var sc = scales[si++];
                        var dl = d * (sc & 0xF);
                        var ml = min * (sc >> 4);
                        for (var l = 0; l < 16; l++)
                        {
                            y[yi++] = (dl * ((q[l + (16 * part)] >> shift) & 3)) - ml;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// block_q3_K (110 bytes): 32 bytes of high-bit mask, 64 bytes of 2-bit quants, 12 bytes packing sixteen 6-bit
    /// scales, f16 d. x = d * (scale - 32) * (q - (hbit ? 0 : 4)).
    /// </summary>
    public static void Q3_K(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 110);
        Span<sbyte> scales = stackalloc sbyte[16];
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 110, 110);
            var hmask = block[..32];
            var qs = block.Slice(32, 64);
            UnpackQ3KScales(block.Slice(96, 12), scales);
            var d = Half(block, 108);
            var y = destination.Slice(b * QKK, QKK);
            var yi = 0;
            var si = 0;
            var m = 1;
            for (var half = 0; half < 2; half++)
            {
                var q = qs.Slice(half * 32, 32);
                for (var shift = 0; shift < 8; shift += 2)
                {
                    for (var part = 0; part < 2; part++)
                    {
                        var dl = d * (scales[si++] - 32);
                        for (var l = 0; l < 16; l++)
                        {
                            var k = l + (16 * part);
                            y[yi++] = dl * (((q[k] >> shift) & 3) - ((hmask[k] & m) != 0 ? 0 : 4));
                        }
                    }

                    m <<= 1;
                }
            }
        }
    }

    /// <summary>Sixteen 6-bit scales: low 4 bits from bytes 0..7 (two per byte), high 2 bits from bytes 8..11.</summary>
    internal static void UnpackQ3KScales(ReadOnlySpan<byte> packed, Span<sbyte> scales)
    {
        const uint kmask1 = 0x03030303;
        const uint kmask2 = 0x0f0f0f0f;
        var a0 = BinaryPrimitives.ReadUInt32LittleEndian(packed);
        var a1 = BinaryPrimitives.ReadUInt32LittleEndian(packed[4..]);
        var tmp = BinaryPrimitives.ReadUInt32LittleEndian(packed[8..]);
        Span<uint> aux =
        [
            (a0 & kmask2) | (((tmp >> 0) & kmask1) << 4),
            (a1 & kmask2) | (((tmp >> 2) & kmask1) << 4),
            ((a0 >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4),
            ((a1 >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4),
        ];
        for (var i = 0; i < 16; i++)
        {
            scales[i] = (sbyte)(byte)(aux[i / 4] >> (8 * (i % 4)));
        }
    }

    /// <summary>Scale and min j (0..7) of a Q4_K/Q5_K block: 6 bits each, packed into 12 bytes.</summary>
    internal static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> q) =>
        j < 4
            ? (q[j] & 63, q[j + 4] & 63)
            : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    /// <summary>block_q4_K (144 bytes): f16 d, f16 dmin, 12 scale bytes, 128 bytes of nibbles; eight groups of 32.</summary>
    public static void Q4_K(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 144);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 144, 144);
            var d = Half(block, 0);
            var min = Half(block, 2);
            var scales = block.Slice(4, 12);
            var qs = block[16..];
            var y = destination.Slice(b * QKK, QKK);
            for (var j = 0; j < 4; j++)
            {
                var (sc1, m1) = ScaleMinK4(2 * j, scales);
                var (sc2, m2) = ScaleMinK4((2 * j) + 1, scales);
                var d1 = d * sc1;
                var mm1 = min * m1;
                var d2 = d * sc2;
                var mm2 = min * m2;
                var q = qs.Slice(32 * j, 32);
                var o = y.Slice(64 * j, 64);
                for (var l = 0; l < 32; l++)
                {
                    o[l] = (d1 * (q[l] & 0xF)) - mm1;
                    o[l + 32] = (d2 * (q[l] >> 4)) - mm2;
                }
            }
        }
    }

    /// <summary>block_q5_K (176 bytes): f16 d, f16 dmin, 12 scale bytes, 32 bytes of fifth bits, 128 bytes of nibbles.</summary>
    public static void Q5_K(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 176);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 176, 176);
            var d = Half(block, 0);
            var min = Half(block, 2);
            var scales = block.Slice(4, 12);
            var qh = block.Slice(16, 32);
            var qs = block[48..];
            var y = destination.Slice(b * QKK, QKK);
            int u1 = 1, u2 = 2;
            for (var j = 0; j < 4; j++)
            {
                var (sc1, m1) = ScaleMinK4(2 * j, scales);
                var (sc2, m2) = ScaleMinK4((2 * j) + 1, scales);
                var d1 = d * sc1;
                var mm1 = min * m1;
                var d2 = d * sc2;
                var mm2 = min * m2;
                var ql = qs.Slice(32 * j, 32);
                var o = y.Slice(64 * j, 64);
                for (var l = 0; l < 32; l++)
                {
                    o[l] = (d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0))) - mm1;
                    o[l + 32] = (d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0))) - mm2;
                }

                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }

    /// <summary>
    /// block_q6_K (210 bytes): 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 signed scales, f16 d;
    /// x = d * scale * (q - 32).
    /// </summary>
    public static void Q6_K(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = Blocks(source, destination, QKK, 210);
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * 210, 210);
            var d = Half(block, 208);
            var y = destination.Slice(b * QKK, QKK);
            for (var half = 0; half < 2; half++)
            {
                var ql = block.Slice(64 * half, 64);
                var qh = block.Slice(128 + (32 * half), 32);
                var sc = block.Slice(192 + (8 * half), 8);
                var o = y.Slice(128 * half, 128);
                for (var l = 0; l < 32; l++)
                {
                    var s = l / 16;
                    var q1 = (sbyte)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    var q2 = (sbyte)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    var q3 = (sbyte)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    var q4 = (sbyte)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    o[l] = d * (sbyte)sc[s] * q1;
                    o[l + 32] = d * (sbyte)sc[s + 2] * q2;
                    o[l + 64] = d * (sbyte)sc[s + 4] * q3;
                    o[l + 96] = d * (sbyte)sc[s + 6] * q4;
                }
            }
        }
    }
}
