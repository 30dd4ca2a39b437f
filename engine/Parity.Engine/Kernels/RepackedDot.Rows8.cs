using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// Eight weight rows at a time, as llama.cpp's repacked kernels hold them: the rows' exact integer block sums are reduced
/// into one vector (lane r = row r) and a single 8-lane FMA advances the eight rows' accumulators, so lane r performs
/// exactly the float operations of the one-row kernels, in the same order. The rows left over (fewer than eight) go
/// through the one-row kernels.
/// </summary>
public static partial class RepackedDot
{
    /// <summary>Rows [0, results.Length rounded down to 8) of <see cref="RowsQ4_0"/>; returns the first row not done.</summary>
    internal static unsafe int Q4_0Rows8(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        var groups = results.Length / 8;
        var lowNibble = Vector128.Create((byte)0x0F);
        var eight = Vector256.Create((sbyte)8);
        var ones = Vector256.Create((short)1);
        var lanes = stackalloc Vector256<int>[8];
        fixed (byte* w = rows)
        fixed (sbyte* q8 = y.Quants)
        fixed (float* ys = y.Scales)
        fixed (float* res = results)
        {
            for (var g = 0; g < groups; g++)
            {
                var first = w + ((long)8 * g * rowBytes);
                var acc = Vector256<float>.Zero;
                for (var b = 0; b < y.Scales.Length; b++)
                {
                    var qy = Avx.LoadVector256(q8 + (b * QK));
                    for (var r = 0; r < 8; r++)
                    {
                        var block = first + ((long)r * rowBytes) + (b * 18);
                        var q = Sse2.LoadVector128(block + 2);
                        var qx = Vector256.Create(q & lowNibble, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & lowNibble).AsSByte() - eight;
                        lanes[r] = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(qx), Avx2.Sign(qy, qx)), ones);
                    }

                    var d = Halves(first + (b * 18), rowBytes) * Vector256.Create(ys[b]);
                    acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Reduce8(lanes)), d, acc);
                }

                Avx.Store(res + (8 * g), acc);
            }
        }

        return 8 * groups;
    }

    /// <summary>
    /// Rows [0, results.Length rounded down to 8) of <see cref="RowsQ4_K"/> (<paramref name="gemm"/>: of
    /// <see cref="GemmRowsQ4_K"/>, one FMA pair per 64 values); returns the first row not done.
    /// </summary>
    internal static unsafe int Q4_KRows8(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results, bool gemm)
    {
        var groups = results.Length / 8;
        var steps = stackalloc Vector256<int>[32];
        var sums = stackalloc Vector256<int>[8];
        var mins = stackalloc int[32];
        fixed (byte* w = rows)
        fixed (sbyte* q8 = y.Quants)
        fixed (float* ys = y.Scales)
        fixed (short* bsums = y.BlockSums)
        fixed (float* res = results)
        {
            for (var g = 0; g < groups; g++)
            {
                var first = w + ((long)8 * g * rowBytes);
                var acc = Vector256<float>.Zero;
                var accMin = Vector256<float>.Zero;
                for (var i = 0; i < y.Scales.Length; i++)
                {
                    for (var r = 0; r < 8; r++)
                    {
                        var block = first + ((long)r * rowBytes) + (i * 144);
                        var (sc, mn) = KQuantScales.Packed(block);
                        Q4KDot.Steps(block, q8 + (i * QKK), sc, steps + (4 * r));
                        Sse2.Store(mins + (4 * r), KQuantScales.MinTerms(mn, bsums + (i * 16)));
                    }

                    var d = Halves(first + (i * 144), rowBytes) * Vector256.Create(ys[i]);
                    var dmin = Halves(first + (i * 144) + 2, rowBytes) * Vector256.Create(ys[i]);
                    if (gemm)
                    {
                        for (var j = 0; j < 4; j++)
                        {
                            for (var r = 0; r < 8; r++)
                            {
                                sums[r] = steps[(4 * r) + j];
                            }

                            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Reduce8(sums)), d, acc);
                            var imin = Vector256.Create(mins[j], mins[4 + j], mins[8 + j], mins[12 + j], mins[16 + j], mins[20 + j], mins[24 + j], mins[28 + j]);
                            accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(imin), dmin, accMin);
                        }
                    }
                    else
                    {
                        for (var r = 0; r < 8; r++)
                        {
                            sums[r] = steps[4 * r] + steps[(4 * r) + 1] + steps[(4 * r) + 2] + steps[(4 * r) + 3];
                        }

                        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Reduce8(sums)), d, acc);
                        var imins = Vector256.Create(
                            mins[0] + mins[1] + mins[2] + mins[3], mins[4] + mins[5] + mins[6] + mins[7],
                            mins[8] + mins[9] + mins[10] + mins[11], mins[12] + mins[13] + mins[14] + mins[15],
                            mins[16] + mins[17] + mins[18] + mins[19], mins[20] + mins[21] + mins[22] + mins[23],
                            mins[24] + mins[25] + mins[26] + mins[27], mins[28] + mins[29] + mins[30] + mins[31]);
                        accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(imins), dmin, accMin);
                    }
                }

                Avx.Store(res + (8 * g), acc - accMin);
            }
        }

        return 8 * groups;
    }

    /// <summary>
    /// Rows [0, results.Length rounded down to 8) of <see cref="RowsQ2_K"/> (<paramref name="gemm"/>: of
    /// <see cref="GemmRowsQ2_K"/>, one FMA pair per 128 values); returns the first row not done.
    /// </summary>
    internal static unsafe int Q2_KRows8(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results, bool gemm)
    {
        var groups = results.Length / 8;
        var three = Vector256.Create((byte)3);
        var lowNibble = Vector128.Create((byte)0x0F);
        var sums = stackalloc Vector256<int>[8];
        var halves = stackalloc Vector256<int>[16];
        var minTerms = stackalloc Vector256<int>[8];
        fixed (byte* w = rows)
        fixed (sbyte* q8 = y.Quants)
        fixed (float* ys = y.Scales)
        fixed (short* bsums = y.BlockSums)
        fixed (float* res = results)
        {
            for (var g = 0; g < groups; g++)
            {
                var first = w + ((long)8 * g * rowBytes);
                var acc = Vector256<float>.Zero;
                var accMin = Vector256<float>.Zero;
                for (var i = 0; i < y.Scales.Length; i++)
                {
                    for (var r = 0; r < 8; r++)
                    {
                        var block = first + ((long)r * rowBytes) + (i * 84);
                        var mins16 = Avx2.ConvertToVector256Int16(Sse2.ShiftRightLogical(Sse2.LoadVector128(block).AsUInt16(), 4).AsByte() & lowNibble);
                        minTerms[r] = Avx2.MultiplyAddAdjacent(mins16, Avx.LoadVector256(bsums + (i * 16)));
                        halves[2 * r] = Q2KHalf(block, q8 + (i * QKK), three, 0);
                        halves[(2 * r) + 1] = Q2KHalf(block, q8 + (i * QKK), three, 1);
                    }

                    var d = Halves(first + (i * 84) + 80, rowBytes) * Vector256.Create(ys[i]);
                    var dmin = Halves(first + (i * 84) + 82, rowBytes) * Vector256.Create(ys[i]);
                    if (gemm)
                    {
                        for (var j = 0; j < 2; j++)
                        {
                            for (var r = 0; r < 8; r++)
                            {
                                sums[r] = halves[(2 * r) + j];
                            }

                            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Reduce8(sums)), d, acc);
                            var lanes = j == 0 ? Vector256.Create(-1, -1, -1, -1, 0, 0, 0, 0) : Vector256.Create(0, 0, 0, 0, -1, -1, -1, -1);
                            for (var r = 0; r < 8; r++)
                            {
                                sums[r] = minTerms[r] & lanes;
                            }

                            accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Reduce8(sums)), dmin, accMin);
                        }
                    }
                    else
                    {
                        for (var r = 0; r < 8; r++)
                        {
                            sums[r] = halves[2 * r] + halves[(2 * r) + 1];
                        }

                        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Reduce8(sums)), d, acc);
                        accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Reduce8(minTerms)), dmin, accMin);
                    }
                }

                Avx.Store(res + (8 * g), acc - accMin);
            }
        }

        return 8 * groups;
    }

    /// <summary>The F16 value at <paramref name="at"/> in each of eight rows <paramref name="rowBytes"/> apart, widened.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Halves(byte* at, int rowBytes) => Vector256.Create(
        HalfTable.Get(at), HalfTable.Get(at + rowBytes), HalfTable.Get(at + (2L * rowBytes)), HalfTable.Get(at + (3L * rowBytes)),
        HalfTable.Get(at + (4L * rowBytes)), HalfTable.Get(at + (5L * rowBytes)), HalfTable.Get(at + (6L * rowBytes)), HalfTable.Get(at + (7L * rowBytes)));

    /// <summary>Lane r: the sum of the eight lanes of <paramref name="lanes"/>[r] (exact: integer adds in any order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Reduce8(Vector256<int>* lanes)
    {
        var a = Avx2.HorizontalAdd(Avx2.HorizontalAdd(lanes[0], lanes[1]), Avx2.HorizontalAdd(lanes[2], lanes[3]));
        var b = Avx2.HorizontalAdd(Avx2.HorizontalAdd(lanes[4], lanes[5]), Avx2.HorizontalAdd(lanes[6], lanes[7]));
        return Avx2.Permute2x128(a, b, 0x20) + Avx2.Permute2x128(a, b, 0x31);
    }
}
