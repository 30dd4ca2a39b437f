using System.Runtime.Intrinsics.X86;
using Parity.Engine.Kernels;
using Parity.Gguf;

namespace Parity.Engine.Tests.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// The avx and noavx libraries' kernels: each vector kernel against its scalar reference bit for bit over random
/// blocks (odd block counts included), and the scalar kernels against the definitions read from the libraries.
/// <c>VariantBlockDotOracleTests</c> holds them to the libraries themselves.
/// </summary>
[TestFixture]
public sealed class AvxNoAvxKernelTests
{
    private static readonly bool Vector = Avx2.IsSupported && Fma.IsSupported;

    [TestCase(GgmlType.Q8_0, 1)]
    [TestCase(GgmlType.Q8_0, 2)]
    [TestCase(GgmlType.Q8_0, 7)]
    [TestCase(GgmlType.Q8_0, 64)]
    [TestCase(GgmlType.Q4_0, 1)]
    [TestCase(GgmlType.Q4_0, 3)]
    [TestCase(GgmlType.Q4_0, 88)]
    public void The_avx_pair_dot_equals_its_scalar_reference(GgmlType type, int blocks)
    {
        Assume.That(Vector, "the vector kernel needs AVX2 and FMA");
        var rng = new Random(blocks);
        var blockBytes = GgmlTypeInfo.Get(type).TypeSize;
        var (x, acts) = Activations(rng, new Q8_0Activations(), blocks * 32);
        for (var trial = 0; trial < 8; trial++)
        {
            var row = RandomBlocks(rng, blocks, blockBytes, [0]);
            var reference = Q8_0Dot.RowScalarAvxPairs(type, row, acts.Quants(0, x.Length), acts.Scales(0, x.Length));
            var vector = Q8_0Dot.RowAvxPairsVector(type, row, acts.Quants(0, x.Length), acts.Scales(0, x.Length));
            Assert.That(Bits(vector), Is.EqualTo(Bits(reference)), $"{type}, {blocks} blocks, trial {trial}");
        }
    }

    [Test]
    public void The_avx_pair_dot_sums_in_other_lanes_than_the_avx2_dot()
    {
        // The same products, added in other float lanes: some rows must round differently, or the kernel would be moot.
        var rng = new Random(5);
        var (x, acts) = Activations(rng, new Q8_0Activations(), 64 * 32);
        var differ = 0;
        for (var trial = 0; trial < 32; trial++)
        {
            var row = RandomBlocks(rng, 64, 34, [0]);
            var pairs = Q8_0Dot.RowScalarAvxPairs(GgmlType.Q8_0, row, acts.Quants(0, x.Length), acts.Scales(0, x.Length));
            var avx2 = Q8_0Dot.RowScalar(GgmlType.Q8_0, row, acts.Quants(0, x.Length), acts.Scales(0, x.Length));
            differ += Bits(pairs) != Bits(avx2) ? 1 : 0;
            Assert.That(pairs, Is.EqualTo(avx2).Within(1e-4f * Math.Max(1f, Math.Abs(avx2))), "the same sum up to rounding");
        }

        Assert.That(differ, Is.GreaterThan(0));
    }

    [TestCase(GgmlType.Q2_K, 1)]
    [TestCase(GgmlType.Q2_K, 4)]
    [TestCase(GgmlType.Q3_K, 1)]
    [TestCase(GgmlType.Q3_K, 11)]
    public void The_avx_k_quant_lanes_equal_their_scalar_reference(GgmlType type, int blocks)
    {
        Assume.That(Vector, "the vector kernel needs SSSE3, AVX and FMA");
        var rng = new Random(blocks + (int)type);
        var (x, acts) = Activations(rng, new Q8_KActivations(), blocks * 256);
        var y = acts.Row(0, x.Length);
        for (var trial = 0; trial < 8; trial++)
        {
            var row = type == GgmlType.Q2_K ? RandomBlocks(rng, blocks, 84, [80, 82]) : RandomBlocks(rng, blocks, 110, [108]);
            var (reference, vector) = type == GgmlType.Q2_K
                ? (Q2KDot.RowScalarAvx(row, y.Quants, y.Scales, y.BlockSums), Q2KDot.RowAvxVector(row, y.Quants, y.Scales, y.BlockSums))
                : (Q3KDot.RowScalarAvx(row, y.Quants, y.Scales), Q3KDot.RowAvxVector(row, y.Quants, y.Scales));
            Assert.That(Bits(vector), Is.EqualTo(Bits(reference)), $"{type}, {blocks} blocks, trial {trial}");
        }
    }

    [Test]
    public void The_avx_lane_of_each_element_is_its_sixteen_element_chunk_half_and_its_four_byte_group()
    {
        Assert.That(KQuantAvxLanes.Lane(0, 0), Is.EqualTo(0));
        Assert.That(KQuantAvxLanes.Lane(0, 4), Is.EqualTo(1));
        Assert.That(KQuantAvxLanes.Lane(0, 16), Is.EqualTo(0), "chunk 1 still sums into lanes 0..3");
        Assert.That(KQuantAvxLanes.Lane(1, 31), Is.EqualTo(3), "chunk 3, bytes 12..15");
        Assert.That(KQuantAvxLanes.Lane(2, 0), Is.EqualTo(4), "chunk 4 starts the high half");
        Assert.That(KQuantAvxLanes.Lane(3, 29), Is.EqualTo(7));
        Assert.That(KQuantAvxLanes.Chunk(3, 17), Is.EqualTo(7));
    }

    [Test]
    public void The_sse2_exponential_without_fma_is_expf_to_within_its_polynomial_and_handles_the_ends()
    {
        for (var x = -87f; x <= 88f; x += 0.37f)
        {
            var expected = Math.Exp(x);
            Assert.That(GgmlExp.ExpSse2(x), Is.EqualTo((float)expected).Within(4e-7 * expected), $"x = {x}");
        }

        Assert.That(GgmlExp.ExpSse2(float.NegativeInfinity), Is.EqualTo(0f));
        Assert.That(GgmlExp.ExpSse2(0f), Is.EqualTo(1f));
        Assert.That(GgmlExp.ExpSse2(100f), Is.EqualTo(float.PositiveInfinity));
        Assert.That(GgmlExp.ExpSse2(-100f), Is.EqualTo((float)Math.Exp(-100)).Within(1e-45), "the |n| > 126 split into s1·s2 reaches the subnormals");
    }

    [Test]
    public void The_sse2_exponential_rounds_its_products_apart_so_it_parts_from_the_fused_one()
    {
        var differ = 0;
        for (var x = -20f; x <= 20f; x += 0.013f)
        {
            differ += Bits(GgmlExp.ExpSse2(x)) != Bits(GgmlExp.ExpAvx2(x)) ? 1 : 0;
        }

        Assert.That(differ, Is.GreaterThan(0));
    }

    [Test]
    public void The_noavx_chunk_sum_adds_neighbours_first_and_the_avx_one_halves()
    {
        // 1e-8 is lost against ±1 (noavx: neighbours first, 0) but survives when ±1 cancel first (avx: 2e-8).
        float[] chunk = [1f, 1e-8f, -1f, 1e-8f];
        Assert.That(VariantKernels.NoAvx.ChunkSum(chunk), Is.EqualTo(0f));
        Assert.That(VariantKernels.Avx.ChunkSum(chunk), Is.EqualTo(2e-8f));
        Assert.That(VariantKernels.NoAvx.ExpLanes, Is.EqualTo(4));
        Assert.That(VariantKernels.NoAvx.TinyBlasLanes, Is.Zero);
        Assert.That(VariantKernels.NoAvx.TinyBlasAccepts(64), Is.False, "no tinyBLAS in the noavx library");
        Assert.That(VariantKernels.Avx.TinyBlasBf16, Is.False);
        Assert.That(VariantKernels.Avx.TinyBlasAccepts(64), Is.True, "F32 and F16 tinyBLAS exist there");
    }

    [TestCase(1)]
    [TestCase(172)]
    [TestCase(2048)]
    public void The_serial_float_dot_is_float_products_added_in_double_in_order(int length)
    {
        var rng = new Random(length);
        var a = Enumerable.Range(0, 2 * length).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var b = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var sum = 0.0;
        for (var i = 0; i < length; i++)
        {
            sum += (double)(float)(a[2 * i] * b[i]);
        }

        Assert.That(Bits(FloatDotSerial.Dot(a, 2, b, length)), Is.EqualTo(Bits((float)sum)));
        Assert.That(Bits(VariantKernels.NoAvx.DotF32(a.AsSpan(0, length), b)), Is.EqualTo(Bits(FloatDotSerial.Dot(a, 1, b, length))));
    }

    [Test]
    public void The_reference_q8_0_quantizer_rounds_half_away_from_zero_with_the_inverse_of_d()
    {
        // amax 127 gives d = 1 and id = 1/d = 1 on both paths; 2.5 and -2.5 are ties.
        var block = new float[32];
        block[0] = 127f;
        block[1] = 2.5f;
        block[2] = -2.5f;
        block[3] = 3.5f;
        var reference = new sbyte[32];
        var simd = new sbyte[32];
        Assert.That(Q8_0Activations.QuantizeBlockReference(block, reference), Is.EqualTo(1f));
        Q8_0Activations.QuantizeBlock(block, simd);
        Assert.That(reference[..4], Is.EqualTo(new sbyte[] { 127, 3, -3, 4 }));
        Assert.That(simd[..4], Is.EqualTo(new sbyte[] { 127, 2, -2, 4 }), "the SIMD path rounds ties to even");
    }

    [Test]
    public void The_noavx_table_takes_the_generic_dots_and_reference_quantizers_and_the_avx_table_its_four_kernels()
    {
        var noavx = GgmlTypeTable.For(GgmlVariant.NoAvx);
        Assert.That(noavx.Rows.Where(r => r.VecDot is not null).Select(r => r.Tile), Has.All.Null, "no batch tiles: every product is the generic vec_dot");
        Assert.That(noavx.Rows.Select(r => r.Repacked), Has.All.Null);
        var avx = GgmlTypeTable.For(GgmlVariant.Avx);
        Assert.That(avx[GgmlType.Q8_0].VecDotOneToken, Is.Not.Null);
        Assert.That(avx[GgmlType.Q4_0].VecDotOneToken, Is.Not.Null);
        Assert.That(avx[GgmlType.Q5_0].VecDotOneToken, Is.Null, "its AVX dot sums as the AVX2 one");
        Assert.That(avx.Rows.Select(r => r.Repacked), Has.All.Null, "repack.cpp repacks nothing without AVX2");
        Assert.That(GgmlTypeTable.For(GgmlVariant.Avx2)[GgmlType.Q8_0].VecDotOneToken, Is.Null);
    }

    [Test]
    public void The_noavx_gelu_table_rounds_the_inner_product_and_sum_apart()
    {
        var differ = 0;
        for (var bits = 0; bits < 1 << 16; bits++)
        {
            var x = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            if (!float.IsFinite(x))
            {
                continue;
            }

            var inner = (0.044715f * x * x) + 1.0f;
            var t = MathF.Tanh(x * 0.79788456080286535587989211986876f * inner);
            var expected = (float)(Half)(x * 0.5f * (t + 1.0f));
            Assert.That(Bits(Geglu.TableEntry((ushort)bits, contracted: false)), Is.EqualTo(Bits(expected)), $"entry {bits:x4}");
            differ += Bits(Geglu.TableEntry((ushort)bits, contracted: false)) != Bits(Geglu.TableEntry((ushort)bits)) ? 1 : 0;
        }

        Assert.That(differ, Is.GreaterThan(0), "some entries part from the FMA build's table");
    }

    private static (float[] X, TActivations Acts) Activations<TActivations>(Random rng, TActivations acts, int cols)
        where TActivations : QuantizedActivations
    {
        var x = new float[cols];
        for (var i = 0; i < cols; i++)
        {
            x[i] = (float)((rng.NextDouble() - 0.5) * (1 + (i % 7)));
        }

        acts.Prepare(1, cols);
        acts.QuantizeBlocks(x, 0, cols / (acts is Q8_KActivations ? 256 : 32));
        return (x, acts);
    }

    /// <summary>Random blocks with finite F16 scales at <paramref name="halfOffsets"/>.</summary>
    private static byte[] RandomBlocks(Random rng, int blocks, int blockBytes, int[] halfOffsets)
    {
        var row = new byte[blocks * blockBytes];
        rng.NextBytes(row);
        for (var b = 0; b < blocks; b++)
        {
            foreach (var offset in halfOffsets)
            {
                BitConverter.TryWriteBytes(row.AsSpan((b * blockBytes) + offset), (Half)((rng.NextDouble() - 0.3) * 0.01));
            }
        }

        return row;
    }

    private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);
}
