using System.Buffers.Binary;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// Rows of floats into ggml's Q8_0 blocks (an F16 scale, then 32 signed quants), as llama.cpp writes a Q8_0 K cache:
/// its SET_ROWS converts with the type's <c>from_float</c>, the same <c>quantize_row_q8_0</c> that quantizes
/// activations (<see cref="Q8_0Activations.QuantizeBlock"/>, or <see cref="Q8_0Activations.QuantizeBlockReference"/> in
/// a library that quantizes by ggml's reference), so the blocks are bit-identical to llama.cpp's.
/// </summary>
public static class Q8_0RowQuantizer
{
    /// <summary>Values per block.</summary>
    public const int BlockValues = 32;

    /// <summary>Bytes per block: the F16 scale and 32 quants.</summary>
    public const int BlockBytes = 2 + BlockValues;

    /// <summary>Bytes of a row of <paramref name="values"/> values (a multiple of 32).</summary>
    public static int RowBytes(int values) => values / BlockValues * BlockBytes;

    /// <summary>Quantizes <paramref name="row"/> (a multiple of 32 values) into <paramref name="blocks"/>.</summary>
    /// <param name="reference">As <c>quantize_row_q8_0_ref</c> (the noavx library) rather than the SIMD path.</param>
    public static void Quantize(ReadOnlySpan<float> row, Span<byte> blocks, bool reference = false)
    {
        if (row.Length % BlockValues != 0 || blocks.Length < RowBytes(row.Length))
        {
            throw new ArgumentException($"a row of {row.Length} values needs a multiple of {BlockValues} values and {RowBytes(row.Length)} bytes; got {blocks.Length}");
        }

        for (var b = 0; b < row.Length / BlockValues; b++)
        {
            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            var quants = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(block[2..]);
            var values = row.Slice(b * BlockValues, BlockValues);
            var d = reference ? Q8_0Activations.QuantizeBlockReference(values, quants) : Q8_0Activations.QuantizeBlock(values, quants);
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
        }
    }
}
