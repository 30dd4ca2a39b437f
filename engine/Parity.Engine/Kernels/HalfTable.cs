using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Parity.Engine.Kernels;

/// <summary>F16 → F32 for every bit pattern, as ggml's <c>ggml_table_f32_f16</c>: a lookup instead of a conversion per block.</summary>
internal static class HalfTable
{
    private static readonly float[] Table = Make();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Get(ReadOnlySpan<byte> block, int offset) => Table[BinaryPrimitives.ReadUInt16LittleEndian(block[offset..])];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float Get(byte* at) => Table[*(ushort*)at];

    private static float[] Make()
    {
        var table = new float[65536];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        }

        return table;
    }
}
