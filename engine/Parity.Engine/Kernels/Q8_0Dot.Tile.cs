using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// The batch form of <see cref="Row"/>: a tile of 2 weight rows × 4 tokens, each weight block unpacked once and each
/// activation block loaded once for the whole tile. Every (row, token) pair still runs exactly <see cref="Row"/>'s
/// float operations in <see cref="Row"/>'s order (its own 8-lane accumulator, one FMA per block, the same final
/// sum), so the tile gives the same bits; it only shares the loads and unpacking between pairs. This is how
/// prompt processing stops paying a whole unpack per token (llama.cpp's tinyBLAS tiles the same way).
/// </summary>
public static partial class Q8_0Dot
{
    /// <summary>Whether <see cref="Tile"/> has a vector kernel here (otherwise callers use <see cref="Row"/>).</summary>
    public static bool TileSupported => UseAvx2;

    /// <summary>
    /// The table's tile kernels: rows <paramref name="row0"/> and <paramref name="row1"/> against the 4 activation rows
    /// starting at <paramref name="quants"/> (each <paramref name="cols"/> quants, scales <paramref name="cols"/>/32
    /// apart; Q8_0 has no block sums). Write <c>results[2·token + row]</c>. They need AVX2 (<see cref="TileSupported"/>).
    /// </summary>
    public static unsafe void TileQ8_0(byte* row0, byte* row1, sbyte* quants, float* scales, short* blockSums, int cols, Span<float> results) =>
        Tile2x4<Q8_0Block>(row0, row1, quants, scales, cols, results);

    /// <inheritdoc cref="TileQ8_0"/>
    public static unsafe void TileQ4_0(byte* row0, byte* row1, sbyte* quants, float* scales, short* blockSums, int cols, Span<float> results) =>
        Tile2x4<Q4_0Block>(row0, row1, quants, scales, cols, results);

    /// <inheritdoc cref="TileQ8_0"/>
    public static unsafe void TileQ5_0(byte* row0, byte* row1, sbyte* quants, float* scales, short* blockSums, int cols, Span<float> results) =>
        Tile2x4<Q5_0Block>(row0, row1, quants, scales, cols, results);

    // Kept out of the caller: inlined into the tile loop through the table's delegate (dynamic PGO does that), it
    // measured slower on prompts.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void Tile2x4<TBlock>(byte* row0, byte* row1, sbyte* y, float* ys, int cols, Span<float> results)
        where TBlock : struct, IQ8_0WeightBlock
    {
        var blocks = cols / QK;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        for (var ib = 0; ib < blocks; ib++)
        {
            var b0 = row0 + (ib * TBlock.Bytes);
            var b1 = row1 + (ib * TBlock.Bytes);
            var x0 = TBlock.Quants(b0);
            var x1 = TBlock.Quants(b1);
            var ax0 = Avx2.Abs(x0);
            var ax1 = Avx2.Abs(x1);
            var d0 = Vector256.Create(HalfTable.Get(b0));
            var d1 = Vector256.Create(HalfTable.Get(b1));
            var yb = y + (ib * QK);
            var sb = ys + ib;

            var q = Avx.LoadVector256(yb);
            var dy = Vector256.Create(sb[0]);
            a00 = Step(a00, ax0, Avx2.Sign(q, x0), d0 * dy);
            a10 = Step(a10, ax1, Avx2.Sign(q, x1), d1 * dy);

            q = Avx.LoadVector256(yb + cols);
            dy = Vector256.Create(sb[blocks]);
            a01 = Step(a01, ax0, Avx2.Sign(q, x0), d0 * dy);
            a11 = Step(a11, ax1, Avx2.Sign(q, x1), d1 * dy);

            q = Avx.LoadVector256(yb + (2 * cols));
            dy = Vector256.Create(sb[2 * blocks]);
            a02 = Step(a02, ax0, Avx2.Sign(q, x0), d0 * dy);
            a12 = Step(a12, ax1, Avx2.Sign(q, x1), d1 * dy);

            q = Avx.LoadVector256(yb + (3 * cols));
            dy = Vector256.Create(sb[3 * blocks]);
            a03 = Step(a03, ax0, Avx2.Sign(q, x0), d0 * dy);
            a13 = Step(a13, ax1, Avx2.Sign(q, x1), d1 * dy);
        }

        results[0] = HorizontalSum(a00);
        results[1] = HorizontalSum(a10);
        results[2] = HorizontalSum(a01);
        results[3] = HorizontalSum(a11);
        results[4] = HorizontalSum(a02);
        results[5] = HorizontalSum(a12);
        results[6] = HorizontalSum(a03);
        results[7] = HorizontalSum(a13);
    }

    /// <summary><see cref="Accumulate"/> with the block scale already broadcast (d = d_x · d_y, one rounding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<float> acc, Vector256<byte> absX, Vector256<sbyte> signedY, Vector256<float> d)
    {
        var products = Avx2.MultiplyAddAdjacent(absX, signedY);
        var lanes = Avx2.MultiplyAddAdjacent(products, Vector256.Create((short)1));
        return Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(lanes), acc);
    }

    /// <summary>A weight block type the Q8_0 dot reads: its size and its 32 signed quants (F16 scale at offset 0).</summary>
    private unsafe interface IQ8_0WeightBlock
    {
        static abstract int Bytes { get; }

        /// <summary>Whether one-row dots prefetch the stream ahead (measured per layout; it does not change the bits).</summary>
        static abstract bool Streamed { get; }

        static abstract Vector256<sbyte> Quants(byte* block);
    }

    private readonly unsafe struct Q8_0Block : IQ8_0WeightBlock
    {
        public static int Bytes => 34;

        public static bool Streamed => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Quants(byte* block) => Avx.LoadVector256((sbyte*)(block + 2));
    }

    private readonly unsafe struct Q4_0Block : IQ8_0WeightBlock
    {
        public static int Bytes => 18;

        public static bool Streamed => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Quants(byte* block)
        {
            var q = Sse2.LoadVector128(block + 2);
            var low = Vector128.Create((byte)0x0F);
            return Vector256.Create(q & low, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & low).AsSByte() - Vector256.Create((sbyte)8);
        }
    }

    private readonly unsafe struct Q5_0Block : IQ8_0WeightBlock
    {
        public static int Bytes => 22;

        public static bool Streamed => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Quants(byte* block)
        {
            var q = Sse2.LoadVector128(block + 6);
            var low = Vector128.Create((byte)0x0F);
            var high = Dequantize.FifthBitVector(*(uint*)(block + 2));
            return (Vector256.Create(q & low, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & low) | high).AsSByte() - Vector256.Create((sbyte)16);
        }
    }
}
