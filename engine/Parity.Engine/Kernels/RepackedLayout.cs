using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// The engine's interleaved weight layouts for the repacked products (<see cref="RepackedDot"/>): each group of eight
/// weight rows becomes one contiguous stream, block after block, so the eight rows' products advance together with one
/// sequential read, as ggml's <c>block_q4_0x8</c> / <c>block_q4_Kx8</c> do. The quants are interleaved four bytes at a
/// time (row r's bytes 4m..4m+3 at offset 32m + 4r of their chunk), so one 32-byte load holds a 4-byte run of each of
/// the eight rows: after the byte products and the pairwise adds, lane r of an 8-lane integer vector is row r's sum.
/// The K-quant scales and mins are unpacked once here instead of per product.
/// <para>
/// Q4_0, one block of 32 values for the eight rows (144 bytes, as the file's eight blocks): the eight F16 d, then the
/// 128 quant bytes: byte 16 + 32m + 4r + i is row r's quant byte 4m + i (m = 0..3: low nibbles values 4m + i, high
/// nibbles 16 + 4m + i).
/// </para>
/// <para>
/// Q4_K, one super-block of 256 values for the eight rows (1184 bytes; the file's are 1152): the eight F16 d, the eight
/// F16 dmin, the scales (byte 32 + 8j + r: sub-block j of row r), the mins paired for a 16-bit multiply-add (byte
/// 96 + 16p + 2r + q: sub-block 2p + q of row r), then four chunks of 256 quant bytes: byte 160 + 256c + 32m + 4r + i
/// is row r's quant byte 32c + 4m + i (low nibbles sub-block 2c, high nibbles 2c + 1, value 4m + i of each).
/// </para>
/// </summary>
public static unsafe class RepackedLayout
{
    /// <summary>Rows per interleaved group.</summary>
    public const int Rows = 8;

    public const int Q4_0BlockBytes = 144;

    public const int Q4_KBlockBytes = 1184;

    // Offsets inside a Q4_K group block.
    internal const int Q4_KDmin = 16;
    internal const int Q4_KScales = 32;
    internal const int Q4_KMins = 96;
    internal const int Q4_KQuants = 160;

    /// <summary>Bytes of one group of eight rows of <paramref name="cols"/> values in <paramref name="type"/>'s layout.</summary>
    public static long GroupBytes(GgmlType type, int cols) => type switch
    {
        GgmlType.Q4_0 => (long)(cols / 32) * Q4_0BlockBytes,
        GgmlType.Q4_K => (long)(cols / 256) * Q4_KBlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no interleaved layout for this type"),
    };

    /// <summary>Whether the engine has an interleaved layout for <paramref name="type"/>.</summary>
    public static bool Has(GgmlType type) => type is GgmlType.Q4_0 or GgmlType.Q4_K;

    /// <summary>
    /// Interleaves eight rows of <paramref name="rowBytes"/> bytes starting at <paramref name="rows"/> (the file's
    /// layout) into one group at <paramref name="group"/>.
    /// </summary>
    public static void Interleave(GgmlType type, byte* rows, int rowBytes, byte* group)
    {
        switch (type)
        {
            case GgmlType.Q4_0:
                InterleaveQ4_0(rows, rowBytes, group);
                break;
            case GgmlType.Q4_K:
                InterleaveQ4_K(rows, rowBytes, group);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "no interleaved layout for this type");
        }
    }

    private static void InterleaveQ4_0(byte* rows, int rowBytes, byte* group)
    {
        for (var b = 0; b < rowBytes / 18; b++)
        {
            var dst = group + ((long)b * Q4_0BlockBytes);
            for (var r = 0; r < Rows; r++)
            {
                var src = rows + ((long)r * rowBytes) + (b * 18);
                *(ushort*)(dst + (2 * r)) = *(ushort*)src;
                for (var m = 0; m < 4; m++)
                {
                    *(uint*)(dst + 16 + (32 * m) + (4 * r)) = *(uint*)(src + 2 + (4 * m));
                }
            }
        }
    }

    private static void InterleaveQ4_K(byte* rows, int rowBytes, byte* group)
    {
        Span<byte> scales = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        for (var i = 0; i < rowBytes / 144; i++)
        {
            var dst = group + ((long)i * Q4_KBlockBytes);
            for (var r = 0; r < Rows; r++)
            {
                var src = rows + ((long)r * rowBytes) + (i * 144);
                *(ushort*)(dst + (2 * r)) = *(ushort*)src;
                *(ushort*)(dst + Q4_KDmin + (2 * r)) = *(ushort*)(src + 2);
                KQuantScales.ScalesAndMins(new ReadOnlySpan<byte>(src + 4, 12), scales, mins);
                for (var j = 0; j < 8; j++)
                {
                    dst[Q4_KScales + (8 * j) + r] = scales[j];
                    dst[Q4_KMins + (16 * (j / 2)) + (2 * r) + (j % 2)] = mins[j];
                }

                for (var c = 0; c < 4; c++)
                {
                    for (var m = 0; m < 8; m++)
                    {
                        *(uint*)(dst + Q4_KQuants + (256 * c) + (32 * m) + (4 * r)) = *(uint*)(src + 16 + (32 * c) + (4 * m));
                    }
                }
            }
        }
    }
}
