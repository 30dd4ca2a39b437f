using System.Buffers.Binary;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// ggml's IQ4_NL blocks (an F16 scale, then 16 bytes of 4-bit indices into a fixed non-linear table of 16 int8 values;
/// value j in the low and j + 16 in the high nibble of byte j), as the engine keeps a KV cache of that type: the
/// dequantization (<c>dequantize_row_iq4_nl</c>), the quantizer SET_ROWS uses (<c>quantize_row_iq4_nl_ref</c>, ggml-base,
/// compiled without FMA) and the two orders of its product with Q8_0 blocks the x86 libraries use.
/// </summary>
public static class Iq4Nl
{
    /// <summary>Values per block.</summary>
    public const int BlockValues = 32;

    /// <summary>Bytes per block: the F16 scale and 16 bytes of indices.</summary>
    public const int BlockBytes = 2 + (BlockValues / 2);

    // ggml's kvalues_iq4nl.
    private static readonly sbyte[] Values = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    /// <summary>Below this largest magnitude a block is stored with scale 0 (ggml's <c>GROUP_MAX_EPS</c>).</summary>
    private const float GroupMaxEps = 1e-15f;

    /// <summary><c>dequantize_row_iq4_nl</c>: each value <c>d · table[index]</c>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var n = destination.Length / BlockValues;
        for (var b = 0; b < n; b++)
        {
            var block = source.Slice(b * BlockBytes, BlockBytes);
            var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            var y = destination.Slice(b * BlockValues, BlockValues);
            for (var j = 0; j < BlockValues / 2; j++)
            {
                y[j] = d * Values[block[2 + j] & 0x0F];
                y[j + (BlockValues / 2)] = d * Values[block[2 + j] >> 4];
            }
        }
    }

    /// <summary>
    /// <c>quantize_row_iq4_nl_ref</c> (no importance weights, no scale search: <c>ntry = -1</c>): per block the value m
    /// of largest magnitude gives the trial scale d = m / −127, every value takes the table entry nearest x / d
    /// (<c>best_index_int8</c>), and the stored scale is the weighted least-squares one for those entries,
    /// Σ w·q·x / Σ w·q·q with w = x², each product and sum rounded on its own. A block whose largest magnitude is below
    /// 1e-15 is stored with scale 0 (ggml then packs indices it never wrote; the engine packs zeros: the values are 0
    /// either way).
    /// </summary>
    public static void QuantizeRow(ReadOnlySpan<float> row, Span<byte> blocks)
    {
        var n = LegacyRowQuantizer.Blocks(row, blocks, BlockBytes);
        Span<byte> l = stackalloc byte[BlockValues];
        for (var b = 0; b < n; b++)
        {
            var x = row.Slice(b * BlockValues, BlockValues);
            var block = blocks.Slice(b * BlockBytes, BlockBytes);
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)Scale(x, l));
            for (var j = 0; j < BlockValues / 2; j++)
            {
                block[2 + j] = (byte)(l[j] | (l[j + (BlockValues / 2)] << 4));
            }
        }
    }

    /// <summary>One block's indices into <paramref name="l"/> and its scale, as <c>quantize_row_iq4_nl_impl</c> with <c>ntry = -1</c>.</summary>
    private static float Scale(ReadOnlySpan<float> x, Span<byte> l)
    {
        var max = LegacyRowQuantizer.LargestMagnitude(x);
        var amax = MathF.Abs(max);

        l.Clear();
        if (amax < GroupMaxEps)
        {
            return 0;
        }

        var id = 1 / (max / Values[0]);
        float sumqx = 0, sumq2 = 0;
        for (var j = 0; j < x.Length; j++)
        {
            var index = BestIndex(id * x[j]);
            l[j] = (byte)index;
            float q = Values[index];
            var w = x[j] * x[j];
            sumqx += w * q * x[j];
            sumq2 += w * q * q;
        }

        return sumqx / sumq2;
    }

    /// <summary>ggml's <c>best_index_int8</c>: the table entry nearest <paramref name="x"/> by bisection, the lower one on a tie.</summary>
    private static int BestIndex(float x)
    {
        if (x <= Values[0])
        {
            return 0;
        }

        if (x >= Values[^1])
        {
            return Values.Length - 1;
        }

        int ml = 0, mu = Values.Length - 1;
        while (mu - ml > 1)
        {
            var mav = (ml + mu) / 2;
            if (x < Values[mav])
            {
                mu = mav;
            }
            else
            {
                ml = mav;
            }
        }

        return x - Values[mu - 1] < Values[mu] - x ? mu - 1 : mu;
    }

    /// <summary>
    /// The product tinyBLAS computes for a batch (<c>tinyBLAS_Q0_AVX&lt;block_iq4_nl, block_q8_0&gt;</c>): one
    /// accumulator, per block eight exact integer lane sums (lane t = Σ of elements 4t..4t+3 of table[index]·q8) and
    /// <c>acc[t] = fma(d_x·d_y, lane_t, acc[t])</c>, then <c>hsum_float_8</c>; each of <paramref name="results"/>.Length
    /// rows <paramref name="rowBytes"/> apart.
    /// </summary>
    public static void Rows(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        Span<float> acc = stackalloc float[8];
        for (var r = 0; r < results.Length; r++)
        {
            acc.Clear();
            var row = rows.Slice(r * rowBytes, rowBytes);
            for (var ib = 0; ib < y.Scales.Length; ib++)
            {
                AddBlock(row, y, ib, acc);
            }

            results[r] = Q8_0Dot.HorizontalSum(acc);
        }
    }

    /// <summary>
    /// <c>ggml_vec_dot_iq4_nl_q8_0</c> as the avx512 and avx2 libraries compute it for one token and in flash
    /// attention: blocks in pairs, the even block into one accumulator and the odd one into another (each as in
    /// <see cref="Rows"/>), the two added lane by lane, <c>hsum_float_8</c>, then a last unpaired block as one scalar
    /// <c>fma(d_x·d_y, Σ, sum)</c>.
    /// </summary>
    public static void RowsOneToken(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        Span<float> even = stackalloc float[8];
        Span<float> odd = stackalloc float[8];
        var blocks = y.Scales.Length;
        for (var r = 0; r < results.Length; r++)
        {
            even.Clear();
            odd.Clear();
            var row = rows.Slice(r * rowBytes, rowBytes);
            var ib = 0;
            for (; ib + 1 < blocks; ib += 2)
            {
                AddBlock(row, y, ib, even);
                AddBlock(row, y, ib + 1, odd);
            }

            for (var t = 0; t < 8; t++)
            {
                even[t] += odd[t];
            }

            var sum = Q8_0Dot.HorizontalSum(even);
            if (ib < blocks)
            {
                var block = row.Slice(ib * BlockBytes, BlockBytes);
                var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block) * y.Scales[ib];
                var sumi = 0;
                for (var t = 0; t < 8; t++)
                {
                    sumi += LaneSum(block, y.Quants.Slice(ib * BlockValues, BlockValues), t);
                }

                sum = MathF.FusedMultiplyAdd(d, sumi, sum);
            }

            results[r] = sum;
        }
    }

    private static void AddBlock(ReadOnlySpan<byte> row, ActivationRow y, int ib, Span<float> acc)
    {
        var block = row.Slice(ib * BlockBytes, BlockBytes);
        var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block) * y.Scales[ib];
        var qy = y.Quants.Slice(ib * BlockValues, BlockValues);
        for (var t = 0; t < 8; t++)
        {
            acc[t] = MathF.FusedMultiplyAdd(d, LaneSum(block, qy, t), acc[t]);
        }
    }

    /// <summary>Σ table[index]·q8 over elements 4t..4t+3 of the block (exact).</summary>
    private static int LaneSum(ReadOnlySpan<byte> block, ReadOnlySpan<sbyte> qy, int t)
    {
        var sum = 0;
        for (var e = 4 * t; e < (4 * t) + 4; e++)
        {
            var index = e < BlockValues / 2 ? block[2 + e] & 0x0F : block[2 + e - (BlockValues / 2)] >> 4;
            sum += Values[index] * qy[e];
        }

        return sum;
    }
}
