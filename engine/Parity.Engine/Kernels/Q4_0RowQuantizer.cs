using System.Buffers.Binary;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// Rows of floats into ggml's Q4_0 blocks (an F16 scale, then 16 bytes of two 4-bit quants), as llama.cpp writes a Q4_0
/// KV cache: SET_ROWS converts with the type's <c>from_float</c>, which for Q4_0 is <c>quantize_row_q4_0_ref</c>
/// (ggml-base, compiled without FMA): the value of largest magnitude m gives d = m / -8, each quant is
/// <c>min(15, (int)(x · (1/d) + 8.5))</c> with a separate multiply and add, truncated; value j and j + 16 share a byte.
/// </summary>
public static class Q4_0RowQuantizer
{
    /// <summary>Values per block.</summary>
    public const int BlockValues = 32;

    /// <summary>Bytes per block: the F16 scale and 16 bytes of quants.</summary>
    public const int BlockBytes = 2 + (BlockValues / 2);

    /// <summary>Bytes of a row of <paramref name="values"/> values (a multiple of 32).</summary>
    public static int RowBytes(int values) => values / BlockValues * BlockBytes;

    /// <summary>Quantizes <paramref name="row"/> (a multiple of 32 values) into <paramref name="blocks"/>.</summary>
    public static void Quantize(ReadOnlySpan<float> row, Span<byte> blocks)
    {
        if (row.Length % BlockValues != 0 || blocks.Length < RowBytes(row.Length))
        {
            throw new ArgumentException($"a row of {row.Length} values needs a multiple of {BlockValues} values and {RowBytes(row.Length)} bytes; got {blocks.Length}");
        }

        for (var b = 0; b < row.Length / BlockValues; b++)
        {
            QuantizeBlock(row.Slice(b * BlockValues, BlockValues), blocks.Slice(b * BlockBytes, BlockBytes));
        }
    }

    private static void QuantizeBlock(ReadOnlySpan<float> x, Span<byte> block)
    {
        var max = LegacyRowQuantizer.LargestMagnitude(x);

        var d = max / -8;
        var id = d != 0 ? 1.0f / d : 0.0f;
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
        for (var j = 0; j < BlockValues / 2; j++)
        {
            var lo = Math.Min(15, (int)(sbyte)(int)((x[j] * id) + 8.5f));
            var hi = Math.Min(15, (int)(sbyte)(int)((x[j + (BlockValues / 2)] * id) + 8.5f));
            block[2 + j] = (byte)(lo | (hi << 4));
        }
    }
}
