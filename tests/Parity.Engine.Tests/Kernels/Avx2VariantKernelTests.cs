using Parity.Engine.Kernels;
using Parity.Engine.Model;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// The AVX2 library's float arithmetic (<see cref="FloatDot8"/>, <see cref="GgmlExp.ExpAvx2"/>): each vector path
/// against its scalar reference bit for bit, the exponential against its defining cases, and the variant's type table
/// and engine options chosen once from the variant.
/// </summary>
[TestFixture]
public sealed class Avx2VariantKernelTests
{
    [TestCase(32)]
    [TestCase(64)]
    [TestCase(1024)]
    [TestCase(5632)]
    public void The_four_accumulator_body_equals_the_lane_by_lane_reference(int length)
    {
        var rng = new Random(length);
        var a = RandomFloats(rng, length);
        var b = RandomFloats(rng, length);
        var reference = FloatDot8.VecDot(a, 1, b, length);
        Assert.That(Bits(FloatDot8.F32(a, b)), Is.EqualTo(Bits(reference)), "F32");
        Assert.That(Bits(FloatDot8.F16(a, b)), Is.EqualTo(Bits(reference)), "F16");
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(7)]
    [TestCase(12)]
    [TestCase(31)]
    public void The_f32_leftovers_are_eight_wide_blocks_then_one_four_wide_block_then_fmas(int leftovers)
    {
        var rng = new Random(leftovers);
        var length = 64 + leftovers;
        var a = RandomFloats(rng, length);
        var b = RandomFloats(rng, length);
        var sum = FloatDot8.VecDot(a, 1, b, 64);
        var i = 64;
        for (; length - i >= 8; i += 8)
        {
            for (var l = i; l < i + 8; l++)
            {
                sum += a[l] * b[l];
            }
        }

        if (length - i >= 4)
        {
            for (var end = i + 4; i < end; i++)
            {
                sum += a[i] * b[i];
            }
        }

        for (; i < length; i++)
        {
            sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        }

        Assert.That(Bits(FloatDot8.F32(a, b)), Is.EqualTo(Bits(sum)));
    }

    [TestCase(8)]
    [TestCase(64)]
    [TestCase(300)]
    public void Tinyblas_in_registers_equals_the_strided_scalar_path(int length)
    {
        var rng = new Random(length + 1);
        var a = RandomFloats(rng, length);
        var b = RandomFloats(rng, length);

        // A stride of 2 over a copy with gaps takes the scalar path; the contiguous row takes the vector one.
        var strided = new float[2 * length];
        for (var i = 0; i < length; i++)
        {
            strided[2 * i] = a[i];
        }

        Assert.That(Bits(FloatDot8.TinyBlas(a, 1, b, length)), Is.EqualTo(Bits(FloatDot8.TinyBlas(strided, 2, b, length))));
    }

    [Test]
    public void The_avx2_exponential_is_exact_where_it_must_be_and_close_to_libm_elsewhere()
    {
        Assert.That(GgmlExp.ExpAvx2(float.NegativeInfinity), Is.EqualTo(0f), "a masked cell gives exactly 0");
        Assert.That(GgmlExp.ExpAvx2(0f), Is.EqualTo(1f));
        Assert.That(GgmlExp.ExpAvx2(100f), Is.EqualTo(float.PositiveInfinity));
        Assert.That(GgmlExp.ExpAvx2(-200f), Is.EqualTo(0f));
        Assert.That(float.IsNaN(GgmlExp.ExpAvx2(float.NaN)), Is.True);

        // Across the range, including the split scaling of 126 < |n| <= 192 (subnormal results and near overflow).
        for (var x = -103f; x < 88.7f; x += 0.0137f)
        {
            var expected = MathF.Exp(x);
            var actual = GgmlExp.ExpAvx2(x);
            var ulps = Math.Abs(BitConverter.SingleToInt32Bits(actual) - BitConverter.SingleToInt32Bits(expected));
            Assert.That(ulps, Is.LessThanOrEqualTo(expected < 1e-37f ? 64 : 2), $"exp({x:R}) = {actual:R}, libm {expected:R}");
        }
    }

    [Test]
    public void The_variant_chooses_the_type_table_and_its_kernels_once()
    {
        var options = new EngineOptions { Variant = GgmlVariant.Avx2 };
        Assert.That(options.TypeTable, Is.SameAs(GgmlTypeTable.For(GgmlVariant.Avx2)));
        Assert.That(options.TypeTable.Kernels.TinyBlasLanes, Is.EqualTo(8));
        Assert.That(options.TypeTable.Kernels.ExpLanes, Is.EqualTo(8));
        Assert.That(new EngineOptions().TypeTable, Is.SameAs(GgmlTypeTable.Default));
        Assert.That(GgmlTypeTable.Default.Kernels.TinyBlasLanes, Is.EqualTo(16));

        // A replaced row keeps its table's variant; handing it to another variant is refused, naming both.
        var replaced = GgmlTypeTable.Default.With(Parity.Gguf.GgmlType.Q4_K, row => row);
        Assert.That(replaced.Variant, Is.EqualTo(GgmlVariant.Avx512));
        var mismatch = new EngineOptions { Variant = GgmlVariant.Avx2, Types = replaced };
        Assert.That(() => mismatch.TypeTable, Throws.ArgumentException.With.Message.Contain("avx512").And.Message.Contain("avx2"));
    }

    [Test]
    public void Every_packaged_variant_is_reproduced_and_other_builds_and_configurations_are_refused_by_name()
    {
        Assert.That(GgmlTarget.Reproduces(GgmlTarget.Commit, "avx512"), Is.True);
        Assert.That(GgmlTarget.Reproduces(GgmlTarget.Commit, "avx2"), Is.True);
        Assert.That(GgmlTarget.Reproduces(GgmlTarget.Commit, "avx"), Is.True);
        Assert.That(GgmlTarget.Reproduces(GgmlTarget.Commit, "noavx"), Is.True);
        Assert.That(GgmlTarget.Reproduces(GgmlTarget.Commit, "sse4"), Is.False);
        Assert.That(GgmlTarget.Reproduces("0000000", "avx2"), Is.False);
        Assert.That(GgmlTarget.VariantFor(GgmlTarget.Commit, "avx2"), Is.EqualTo(GgmlVariant.Avx2));
        Assert.That(GgmlTarget.VariantFor(GgmlTarget.Commit, "noavx"), Is.EqualTo(GgmlVariant.NoAvx));
        Assert.That(GgmlTarget.VariantFor(GgmlTarget.Commit, "sse4"), Is.EqualTo(GgmlVariant.Avx512));
        Assert.That(GgmlTypeTable.For(GgmlVariant.NoAvx).Variant, Is.EqualTo(GgmlVariant.NoAvx));

        // Within a reproduced variant, the attention configurations the engine does not follow there are named.
        Assert.That(GgmlTarget.ConfigurationRefusal(GgmlVariant.Avx2, flashAttention: true), Is.Null);
        Assert.That(GgmlTarget.ConfigurationRefusal(GgmlVariant.Avx, flashAttention: true), Is.Null);
        Assert.That(GgmlTarget.ConfigurationRefusal(GgmlVariant.NoAvx, flashAttention: false), Is.Null);
        Assert.That(GgmlTarget.ConfigurationRefusal(GgmlVariant.NoAvx, flashAttention: true), Does.Contain("flash attention").And.Contain("noavx"));
        Assert.That(GgmlTarget.ConfigurationRefusal(GgmlVariant.Avx2, flashAttention: true, GgmlTarget.Commit), Is.Null);
        Assert.That(GgmlTarget.ConfigurationRefusal(GgmlVariant.Avx2, flashAttention: true, "d8a24ccee"), Does.Contain("d8a24cc").And.Contain("--flash-attn off"), "d8a24cc's flash attention differs by 2 ulp");
        Assert.That(GgmlTarget.ConfigurationRefusal(GgmlVariant.Avx2, flashAttention: false, "d8a24ccee"), Is.Null);
    }

    private static float[] RandomFloats(Random rng, int n)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = (float)((rng.NextDouble() - 0.5) * 4);
        }

        return v;
    }

    private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);
}
