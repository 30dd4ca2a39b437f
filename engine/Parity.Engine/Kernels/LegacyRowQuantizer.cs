using System.Buffers.Binary;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// Rows of floats into ggml's Q4_1, Q5_0 and Q5_1 blocks, as llama.cpp writes a KV cache of those types: SET_ROWS
/// converts with the type's <c>from_float</c>, which on x86 forwards to ggml-base's <c>quantize_row_q4_1_ref</c>,
/// <c>quantize_row_q5_0_ref</c> and <c>quantize_row_q5_1_ref</c>. ggml-base is compiled without FMA, so every product
/// and sum below is its own rounding (as C# evaluates them), and each quant is the float truncated to an integer.
/// </summary>
public static class LegacyRowQuantizer
{
    private const int QK = 32;

    /// <summary>
    /// Q4_1 (f16 d, f16 m, 16 bytes of nibbles): min and max of the block, d = (max − min) / 15,
    /// q = min(15, (int)((x − min) · (1/d) + 0.5)); value j in the low and j + 16 in the high nibble of byte j.
    /// </summary>
    public static void Q4_1(ReadOnlySpan<float> row, Span<byte> blocks)
    {
        const int Bytes = 20;
        var n = Blocks(row, blocks, Bytes);
        for (var b = 0; b < n; b++)
        {
            var x = row.Slice(b * QK, QK);
            var block = blocks.Slice(b * Bytes, Bytes);
            var (min, max) = MinMax(x);
            var d = (max - min) / 15;
            var id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            BinaryPrimitives.WriteHalfLittleEndian(block[2..], (Half)min);
            for (var j = 0; j < QK / 2; j++)
            {
                var lo = Math.Min(15, (int)(sbyte)(int)(((x[j] - min) * id) + 0.5f));
                var hi = Math.Min(15, (int)(sbyte)(int)(((x[j + (QK / 2)] - min) * id) + 0.5f));
                block[4 + j] = (byte)(lo | (hi << 4));
            }
        }
    }

    /// <summary>
    /// Q5_0 (f16 d, 32 fifth bits, 16 bytes of nibbles): the value m of largest magnitude (the first to reach it) gives
    /// d = m / −16, q = min(31, (int)(x · (1/d) + 16.5)); the low four bits as Q4_0's nibbles, bit 4 of value j in bit j.
    /// </summary>
    public static void Q5_0(ReadOnlySpan<float> row, Span<byte> blocks)
    {
        const int Bytes = 22;
        var n = Blocks(row, blocks, Bytes);
        for (var b = 0; b < n; b++)
        {
            var x = row.Slice(b * QK, QK);
            var block = blocks.Slice(b * Bytes, Bytes);
            var max = LargestMagnitude(x);

            var d = max / -16;
            var id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            uint qh = 0;
            for (var j = 0; j < QK / 2; j++)
            {
                var lo = Math.Min(31, (int)(sbyte)(int)((x[j] * id) + 16.5f));
                var hi = Math.Min(31, (int)(sbyte)(int)((x[j + (QK / 2)] * id) + 16.5f));
                block[6 + j] = (byte)((lo & 0x0F) | ((hi & 0x0F) << 4));
                qh |= (uint)((lo & 0x10) >> 4) << j;
                qh |= (uint)((hi & 0x10) >> 4) << (j + (QK / 2));
            }

            BinaryPrimitives.WriteUInt32LittleEndian(block[2..], qh);
        }
    }

    /// <summary>
    /// Q5_1 (f16 d, f16 m, 32 fifth bits, 16 bytes of nibbles): d = (max − min) / 31,
    /// q = (byte)((x − min) · (1/d) + 0.5), split as Q5_0's.
    /// </summary>
    public static void Q5_1(ReadOnlySpan<float> row, Span<byte> blocks)
    {
        const int Bytes = 24;
        var n = Blocks(row, blocks, Bytes);
        for (var b = 0; b < n; b++)
        {
            var x = row.Slice(b * QK, QK);
            var block = blocks.Slice(b * Bytes, Bytes);
            var (min, max) = MinMax(x);
            var d = (max - min) / 31;
            var id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            BinaryPrimitives.WriteHalfLittleEndian(block[2..], (Half)min);
            uint qh = 0;
            for (var j = 0; j < QK / 2; j++)
            {
                var lo = (int)(byte)(int)(((x[j] - min) * id) + 0.5f);
                var hi = (int)(byte)(int)(((x[j + (QK / 2)] - min) * id) + 0.5f);
                block[8 + j] = (byte)((lo & 0x0F) | ((hi & 0x0F) << 4));
                qh |= (uint)((lo & 0x10) >> 4) << j;
                qh |= (uint)((hi & 0x10) >> 4) << (j + (QK / 2));
            }

            BinaryPrimitives.WriteUInt32LittleEndian(block[4..], qh);
        }
    }

    /// <summary>The value of largest magnitude, the first to reach it (ggml's scan from 0 with a strict comparison), or 0.</summary>
    internal static float LargestMagnitude(ReadOnlySpan<float> x)
    {
        float amax = 0, max = 0;
        foreach (var v in x)
        {
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        return max;
    }

    /// <summary>The block's minimum and maximum as ggml scans them (from FLT_MAX and −FLT_MAX, strict comparisons).</summary>
    private static (float Min, float Max) MinMax(ReadOnlySpan<float> x)
    {
        float min = float.MaxValue, max = -float.MaxValue;
        foreach (var v in x)
        {
            if (v < min)
            {
                min = v;
            }

            if (v > max)
            {
                max = v;
            }
        }

        return (min, max);
    }

    /// <summary>The row's block count, after checking it fills whole blocks of <paramref name="blockBytes"/> in <paramref name="blocks"/>.</summary>
    internal static int Blocks(ReadOnlySpan<float> row, Span<byte> blocks, int blockBytes)
    {
        if (row.Length % QK != 0 || blocks.Length < row.Length / QK * blockBytes)
        {
            throw new ArgumentException($"a row of {row.Length} values needs a multiple of {QK} values and {row.Length / QK * blockBytes} bytes; got {blocks.Length}");
        }

        return row.Length / QK;
    }
}
