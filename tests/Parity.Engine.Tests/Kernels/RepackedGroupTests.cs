using System.Runtime.InteropServices;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// The products over weights interleaved at load (<see cref="RepackedLayout"/>, <c>RepackedDot.Groups*.cs</c>): the
/// interleaved scalar references give every row the bits of the one-row references over the file's blocks (which the
/// ci suite's <c>mini-repack-*</c> cases tie to llama.cpp), the AVX2 kernels equal the interleaved references bit for
/// bit, and a matrix product through the interleaved copies equals the one over the file's layout.
/// </summary>
[TestFixture]
public sealed unsafe class RepackedGroupTests
{
    [Test]
    public void Widening_halves_eight_at_a_time_gives_the_table_value_of_every_bit_pattern()
    {
        RequireAvx2();
        var halves = new ushort[65536];
        for (var i = 0; i < halves.Length; i++)
        {
            halves[i] = (ushort)i;
        }

        fixed (ushort* h = halves)
        {
            for (var i = 0; i < halves.Length; i += 8)
            {
                var wide = RepackedDot.WidenHalves((byte*)(h + i));
                for (var lane = 0; lane < 8; lane++)
                {
                    var expected = (float)BitConverter.UInt16BitsToHalf((ushort)(i + lane));
                    var actual = wide[lane];
                    Assert.That(float.IsNaN(expected) ? float.IsNaN(actual) : Bits(actual) == Bits(expected), Is.True, $"half 0x{i + lane:X4}");
                }
            }
        }
    }

    [TestCase(1, 1)]
    [TestCase(3, 2)]
    [TestCase(2, 11)]
    public void Interleaved_q4_0_references_give_each_row_the_one_row_reference_bits(int groups, int blocks)
    {
        var (rows, acts, cols) = Q4_0Case(new Random(groups * 31 + blocks), groups, blocks, tokens: 4);
        foreach (var tokens in new[] { 1, 4 })
        {
            var results = Run(GgmlType.Q4_0, rows, groups, cols, acts, tokens, tokens == 1 ? RepackedDot.GemvQ4_0Scalar : RepackedDot.GemmQ4_0Scalar);
            for (var t = 0; t < tokens; t++)
            {
                var y = acts.Row(t, cols);
                for (var r = 0; r < 8 * groups; r++)
                {
                    var expected = RepackedDot.Q4_0Scalar(rows.AsSpan(r * blocks * 18, blocks * 18), y.Quants, y.Scales);
                    Assert.That(Bits(results[(t * 8 * groups) + r]), Is.EqualTo(Bits(expected)), $"token {t}, row {r}");
                }
            }
        }
    }

    [TestCase(1, 1)]
    [TestCase(2, 3)]
    [TestCase(3, 8)]
    public void Interleaved_q4_K_references_give_each_row_the_one_row_reference_bits(int groups, int blocks)
    {
        var (rows, acts, cols) = Q4_KCase(new Random(groups * 37 + blocks), groups, blocks, tokens: 4);
        foreach (var tokens in new[] { 1, 4 })
        {
            var results = Run(GgmlType.Q4_K, rows, groups, cols, acts, tokens, (g, c, k, y, res, s) => RepackedDot.Q4_KGroupsScalar(g, c, k, y, res, s, tokens));
            for (var t = 0; t < tokens; t++)
            {
                var y = acts.Row(t, cols);
                for (var r = 0; r < 8 * groups; r++)
                {
                    var row = rows.AsSpan(r * blocks * 144, blocks * 144);
                    var expected = tokens == 1
                        ? RepackedDot.Q4_KScalar(row, y.Quants, y.Scales, y.BlockSums)
                        : RepackedDot.Q4_KGemmScalar(row, y.Quants, y.Scales, y.BlockSums);
                    Assert.That(Bits(results[(t * 8 * groups) + r]), Is.EqualTo(Bits(expected)), $"token {t}, row {r}");
                }
            }
        }
    }

    [TestCase("q4_0 gemv", 3, 1)]
    [TestCase("q4_0 gemv", 2, 88)]
    [TestCase("q4_0 gemm", 3, 7)]
    [TestCase("q4_0 gemm", 1, 64)]
    [TestCase("q4_K gemv", 3, 1)]
    [TestCase("q4_K gemv", 2, 11)]
    [TestCase("q4_K gemm", 3, 2)]
    [TestCase("q4_K gemm", 1, 8)]
    public void The_avx2_group_kernels_equal_the_interleaved_references_bit_for_bit(string kernel, int groups, int blocks)
    {
        RequireAvx2();
        var rng = new Random(kernel.Length * 1000 + groups * 17 + blocks);
        var q4_0 = kernel.StartsWith("q4_0", StringComparison.Ordinal);
        var tokens = kernel.EndsWith("gemm", StringComparison.Ordinal) ? 4 : 1;
        var (rows, acts, cols) = q4_0 ? Q4_0Case(rng, groups, blocks, tokens) : Q4_KCase(rng, groups, blocks, tokens);
        var type = q4_0 ? GgmlType.Q4_0 : GgmlType.Q4_K;
        RepackedDot.GroupKernel vector = (q4_0, tokens) switch
        {
            (true, 1) => RepackedDot.GemvQ4_0Avx2,
            (true, _) => RepackedDot.GemmQ4_0Avx2,
            (false, 1) => RepackedDot.GemvQ4_K,
            _ => RepackedDot.GemmQ4_K,
        };
        RepackedDot.GroupKernel scalar = q4_0
            ? (tokens == 1 ? RepackedDot.GemvQ4_0Scalar : RepackedDot.GemmQ4_0Scalar)
            : (g, c, k, y, res, s) => RepackedDot.Q4_KGroupsScalar(g, c, k, y, res, s, tokens);
        var v = Run(type, rows, groups, cols, acts, tokens, vector);
        var s = Run(type, rows, groups, cols, acts, tokens, scalar);
        Assert.That(v.Select(Bits), Is.EqualTo(s.Select(Bits)));
    }

    [TestCase(GgmlType.Q4_0, 1)]
    [TestCase(GgmlType.Q4_0, 6)]
    [TestCase(GgmlType.Q4_0, 13)]
    [TestCase(GgmlType.Q4_K, 1)]
    [TestCase(GgmlType.Q4_K, 6)]
    [TestCase(GgmlType.Q4_K, 13)]
    public void A_product_through_the_interleaved_copy_equals_the_one_over_the_file_layout(GgmlType type, int n)
    {
        var rng = new Random(41 + n);
        const int rowCount = 72;
        var (blockBytes, blockSize, cols) = type == GgmlType.Q4_0 ? (18, 32, 256) : (144, 256, 512);
        var rowBytes = cols / blockSize * blockBytes;
        var data = RandomBlocks(rng, rowCount * cols / blockSize, blockBytes, type == GgmlType.Q4_0 ? 1 : 2);
        var x = RandomFloats(rng, n * cols);
        var pinned = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            var w = new WeightMatrix("w", type, rowCount, cols, rowBytes, (byte*)pinned.AddrOfPinnedObject());
            var plain = new float[n * rowCount];
            var interleaved = new float[n * rowCount];
            using (var fileLayout = new MatMul(2, cols, ggmlActivationRounding: true, repack: true))
            {
                fileLayout.Compute(w, x, n, plain);
            }

            using (var groups = new MatMul(2, cols, ggmlActivationRounding: true, repack: true, weights: [w]))
            {
                groups.Compute(w, x, n, interleaved);
                var part = w.Slice(16, 40);
                var partOut = new float[n * 40];
                groups.Compute(part, x, n, partOut);
                for (var t = 0; t < n; t++)
                {
                    Assert.That(partOut.AsSpan(t * 40, 40).ToArray().Select(Bits), Is.EqualTo(plain.AsSpan((t * rowCount) + 16, 40).ToArray().Select(Bits)), $"rows 16..56, token {t}");
                }
            }

            Assert.That(interleaved.Select(Bits), Is.EqualTo(plain.Select(Bits)));
        }
        finally
        {
            pinned.Free();
        }
    }

    private static float[] Run(GgmlType type, byte[] rows, int groups, int cols, QuantizedActivations acts, int tokens, RepackedDot.GroupKernel kernel)
    {
        var rowBytes = rows.Length / (8 * groups);
        var groupBytes = RepackedLayout.GroupBytes(type, cols);
        var interleaved = new byte[groups * groupBytes];
        var results = new float[tokens * 8 * groups];
        fixed (byte* src = rows)
        fixed (byte* dst = interleaved)
        fixed (float* res = results)
        {
            for (var g = 0; g < groups; g++)
            {
                RepackedLayout.Interleave(type, src + (g * 8 * rowBytes), rowBytes, dst + (g * groupBytes));
            }

            kernel(dst, groups, cols, tokens == 1 ? acts.Row(0, cols) : acts.Row(0, 4 * cols), res, 8 * groups);
        }

        return results;
    }

    private static (byte[] Rows, QuantizedActivations Acts, int Cols) Q4_0Case(Random rng, int groups, int blocks, int tokens)
    {
        var cols = blocks * 32;
        var acts = new Q8_0SumActivations();
        Quantize(acts, RandomFloats(rng, tokens * cols), tokens, cols, 32);
        return (RandomBlocks(rng, 8 * groups * blocks, 18, 1), acts, cols);
    }

    private static (byte[] Rows, QuantizedActivations Acts, int Cols) Q4_KCase(Random rng, int groups, int blocks, int tokens)
    {
        var cols = blocks * 256;
        var acts = new Q8_KActivations(fourRowTiles: tokens == 4);
        Quantize(acts, RandomFloats(rng, tokens * cols), tokens, cols, 256);
        return (RandomBlocks(rng, 8 * groups * blocks, 144, 2), acts, cols);
    }

    private static void Quantize(QuantizedActivations acts, float[] x, int n, int cols, int blockSize)
    {
        acts.Prepare(n, cols);
        acts.QuantizeBlocks(x, 0, n * cols / blockSize);
    }

    private static void RequireAvx2()
    {
        if (!RepackedDot.UseAvx2)
        {
            Assert.Ignore("no AVX2 and FMA on this machine: the AVX2 kernels cannot run");
        }
    }

    private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);

    /// <summary>Random blocks whose leading F16 values (d, and dmin) are small, of either sign, sometimes subnormal or zero.</summary>
    private static byte[] RandomBlocks(Random rng, int blocks, int blockBytes, int halves)
    {
        var bytes = new byte[blocks * blockBytes];
        rng.NextBytes(bytes);
        for (var b = 0; b < blocks; b++)
        {
            for (var h = 0; h < halves; h++)
            {
                var value = (Half)((rng.NextDouble() - 0.3) * (rng.Next(8) == 0 ? 1e-5 : 0.02));
                BitConverter.TryWriteBytes(bytes.AsSpan((b * blockBytes) + (2 * h)), value);
            }
        }

        return bytes;
    }

    private static float[] RandomFloats(Random rng, int n)
    {
        var x = new float[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = (float)(rng.NextDouble() - 0.5) * 4;
        }

        return x;
    }
}
