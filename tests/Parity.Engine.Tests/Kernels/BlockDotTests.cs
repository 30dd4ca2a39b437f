using Parity.Engine.Kernels;
using Parity.Gguf;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// ggml's integer block dot products: the AVX2 kernel against the scalar reference, bit for bit (both perform ggml's
/// float operations in ggml's order), and the result against an independent float evaluation of the same sum.
/// </summary>
[TestFixture]
public sealed class BlockDotTests
{
    [TestCase(GgmlType.Q8_0, 34)]
    [TestCase(GgmlType.Q4_0, 18)]
    [TestCase(GgmlType.Q5_0, 22)]
    public void The_avx2_block_dot_equals_the_scalar_reference_bit_for_bit(GgmlType type, int blockBytes)
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            Assert.Ignore("no AVX2 here: the scalar reference is the kernel in use");
        }

        var rng = new Random(3);
        foreach (var blocks in new[] { 1, 2, 3, 8, 32, 88 })
        {
            var (weights, quants, scales) = RandomRow(rng, blocks, blockBytes);
            var vector = Q8_0Dot.RowAvx2(type, weights, quants, scales);
            var scalar = Q8_0Dot.RowScalar(type, weights, quants, scales);
            Assert.That(BitConverter.SingleToInt32Bits(vector), Is.EqualTo(BitConverter.SingleToInt32Bits(scalar)), $"{type}, {blocks} blocks");

            // Independently: dequantize and sum in double; the float result is that sum up to rounding.
            var w = new float[blocks * 32];
            Dequantize.Row(type, weights, w);
            var exact = 0.0;
            for (var i = 0; i < w.Length; i++)
            {
                exact += (double)w[i] * quants[i] * scales[i / 32];
            }

            Assert.That(scalar, Is.EqualTo(exact).Within(1e-5 * Math.Max(1, Math.Abs(exact))), $"{type}, {blocks} blocks");
        }
    }

    [TestCase(GgmlType.Q8_0, 34)]
    [TestCase(GgmlType.Q4_0, 18)]
    [TestCase(GgmlType.Q5_0, 22)]
    public unsafe void The_2x4_tile_gives_each_pair_the_scalar_references_bits(GgmlType type, int blockBytes)
    {
        if (!Q8_0Dot.TileSupported)
        {
            Assert.Ignore("no AVX2 here: batches go through the row kernel");
        }

        var rng = new Random(5);
        foreach (var blocks in new[] { 1, 3, 64 })
        {
            var cols = blocks * 32;
            var (row0, _, _) = RandomRow(rng, blocks, blockBytes);
            var (row1, _, _) = RandomRow(rng, blocks, blockBytes);
            var quants = new sbyte[4 * cols];
            var scales = new float[4 * blocks];
            for (var t = 0; t < 4; t++)
            {
                var (_, q, s) = RandomRow(rng, blocks, blockBytes);
                q.CopyTo(quants, t * cols);
                s.CopyTo(scales, t * blocks);
            }

            var tile = new float[8];
            fixed (byte* w0 = row0)
            fixed (byte* w1 = row1)
            fixed (sbyte* y = quants)
            fixed (float* ys = scales)
            {
                GgmlTypeTable.Default[type].Tile!(w0, w1, y, ys, null, cols, tile);
            }

            for (var t = 0; t < 4; t++)
            {
                for (var r = 0; r < 2; r++)
                {
                    var expected = Q8_0Dot.RowScalar(type, r == 0 ? row0 : row1, quants.AsSpan(t * cols, cols), scales.AsSpan(t * blocks, blocks));
                    Assert.That(BitConverter.SingleToInt32Bits(tile[(2 * t) + r]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"{type}, {blocks} blocks, row {r}, token {t}");
                }
            }
        }
    }

    [TestCase(GgmlType.Q4_K, 144, new[] { 0, 2 })]
    [TestCase(GgmlType.Q6_K, 210, new[] { 208 })]
    public unsafe void The_k_quant_2x4_tiles_give_each_pair_the_scalar_references_bits(GgmlType type, int blockBytes, int[] halfOffsets)
    {
        if (!Q4KDot.UseAvx2 || !Q6KDot.UseAvx2)
        {
            Assert.Ignore("no AVX2 here: batches go through the row kernel");
        }

        var rng = new Random(7);
        foreach (var blocks in new[] { 1, 2, 8 })
        {
            var cols = blocks * 256;
            var rows = new byte[2][];
            for (var r = 0; r < 2; r++)
            {
                rows[r] = new byte[blocks * blockBytes];
                rng.NextBytes(rows[r]);
                for (var b = 0; b < blocks; b++)
                {
                    foreach (var offset in halfOffsets)
                    {
                        BitConverter.TryWriteBytes(rows[r].AsSpan((b * blockBytes) + offset), (Half)((rng.NextDouble() - 0.3) * 0.01));
                    }
                }
            }

            var x = new float[4 * cols];
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = (float)((rng.NextDouble() - 0.5) * (1 + (i % 7)));
            }

            var acts = new Q8_KActivations();
            acts.Quantize(x, 4, cols);
            var tile = new float[8];
            fixed (byte* w0 = rows[0])
            fixed (byte* w1 = rows[1])
            fixed (sbyte* y = acts.Quants(0, cols))
            fixed (float* ys = acts.Scales(0, cols))
            fixed (short* bs = acts.BlockSums(0, cols))
            {
                GgmlTypeTable.Default[type].Tile!(w0, w1, y, ys, bs, cols, tile);
            }

            for (var t = 0; t < 4; t++)
            {
                for (var r = 0; r < 2; r++)
                {
                    var expected = type == GgmlType.Q4_K
                        ? Q4KDot.RowScalar(rows[r], acts.Quants(t, cols), acts.Scales(t, cols), acts.BlockSums(t, cols))
                        : Q6KDot.RowScalar(rows[r], acts.Quants(t, cols), acts.Scales(t, cols), acts.BlockSums(t, cols));
                    Assert.That(BitConverter.SingleToInt32Bits(tile[(2 * t) + r]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"{type}, {blocks} blocks, row {r}, token {t}");
                }
            }
        }
    }

    /// <summary>The Q6_K row-range kernel (the table's vec_dot, activations pinned once) gives every row the scalar reference's bits.</summary>
    [Test]
    public void Q6_K_row_ranges_give_each_row_the_scalar_references_bits()
    {
        var rng = new Random(11);
        const int rows = 9, blocks = 8, cols = blocks * 256, rowBytes = blocks * 210;
        var matrix = new byte[rows * rowBytes];
        rng.NextBytes(matrix);
        for (var b = 0; b < rows * blocks; b++)
        {
            BitConverter.TryWriteBytes(matrix.AsSpan((b * 210) + 208), (Half)((rng.NextDouble() - 0.3) * 0.01));
        }

        var x = Enumerable.Range(0, cols).Select(i => (float)((rng.NextDouble() - 0.5) * (1 + (i % 5)))).ToArray();
        var acts = new Q8_KActivations();
        acts.Quantize(x, 1, cols);
        var outputs = new float[rows];
        Q6KDot.Rows(matrix.AsSpan(2 * rowBytes), rowBytes, acts.Row(0, cols), outputs.AsSpan(2));

        for (var r = 0; r < rows; r++)
        {
            var expected = r < 2 ? 0f : Q6KDot.RowScalar(matrix.AsSpan(r * rowBytes, rowBytes), acts.Quants(0, cols), acts.Scales(0, cols), acts.BlockSums(0, cols));
            Assert.That(BitConverter.SingleToInt32Bits(outputs[r]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"row {r} (rows before 2 untouched)");
        }
    }

    [Test]
    public void Q8_0_activations_round_half_to_even_with_d_as_fp16()
    {
        var acts = new Q8_0Activations();
        var x = new float[32];
        x[0] = 127f; // amax 127: id = 1, d = 1
        x[1] = 2.5f; // ties to even: 2
        x[2] = 3.5f; // 4
        x[3] = -2.5f; // -2
        acts.Quantize(x, 1, 32);
        Assert.That(acts.Quants(0, 32)[..4].ToArray(), Is.EqualTo(new sbyte[] { 127, 2, 4, -2 }));
        Assert.That(acts.Scales(0, 32)[0], Is.EqualTo(1f));
    }

    private static (byte[] Weights, sbyte[] Quants, float[] Scales) RandomRow(Random rng, int blocks, int blockBytes)
    {
        var weights = new byte[blocks * blockBytes];
        rng.NextBytes(weights);
        for (var b = 0; b < blocks; b++)
        {
            BitConverter.TryWriteBytes(weights.AsSpan(b * blockBytes), (Half)((rng.NextDouble() - 0.5) * 0.02));
        }

        var quants = new sbyte[blocks * 32];
        for (var i = 0; i < quants.Length; i++)
        {
            quants[i] = (sbyte)rng.Next(-127, 128);
        }

        var scales = new float[blocks];
        for (var b = 0; b < blocks; b++)
        {
            scales[b] = (float)(Half)(rng.NextDouble() * 0.05);
        }

        return (weights, quants, scales);
    }
}
