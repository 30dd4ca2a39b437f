using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// The float dot kernels' vector paths against their scalar references, bit for bit: ggml's four 16-lane accumulators
/// (vec_dot_f32/f16) held in registers, and the 2×4 tinyBLAS tile against tinyBLAS one pair at a time.
/// </summary>
[TestFixture]
public sealed class FloatDotTests
{
    [TestCase(64)]
    [TestCase(128)]
    [TestCase(2048)]
    [TestCase(100)]
    [TestCase(5632 + 7)]
    public void Four_accumulator_dots_equal_the_lane_by_lane_reference(int length)
    {
        var rng = new Random(length);
        var a = RandomFloats(rng, length);
        var b = RandomFloats(rng, length);
        var reference = F16Dot.VecDot(a.AsSpan(0, length & ~63), 1, b.AsSpan(0, length & ~63), length & ~63);
        if (length % 64 == 0)
        {
            Assert.That(Bits(FloatDot.F32(a, b)), Is.EqualTo(Bits(reference)), "F32");
            Assert.That(Bits(FloatDot.F16(a, b)), Is.EqualTo(Bits(reference)), "F16");
        }

        // With a tail: the F16 form widens the 64-lane sum to double and adds the tail products in double.
        double expected = reference;
        for (var i = length & ~63; i < length; i++)
        {
            expected += (double)(a[i] * b[i]);
        }

        Assert.That(Bits(FloatDot.F16(a, b)), Is.EqualTo(Bits((float)expected)), "F16 with tail");
    }

    [TestCase(64, 256)]
    [TestCase(128, 512)]
    [TestCase(64, 64)]
    [TestCase(80, 256)]
    [TestCase(192, 192)]
    public void Many_keys_give_each_key_the_single_dot_bits(int length, int stride)
    {
        const int Keys = 67;
        var rng = new Random(length + stride);
        var keys = RandomFloats(rng, ((Keys - 1) * stride) + length);
        var q = RandomFloats(rng, length);

        // Zeros and signed zeros in some keys: the accumulators start at +0 as ggml's do.
        keys.AsSpan(3 * stride, length).Clear();
        keys.AsSpan(5 * stride, length).Fill(-0.0f);
        var dots = new float[Keys];
        VariantKernels.Avx512.DotsF16(keys, stride, q, dots);
        for (var j = 0; j < Keys; j++)
        {
            Assert.That(Bits(dots[j]), Is.EqualTo(Bits(FloatDot.F16(keys.AsSpan(j * stride, length), q))), $"key {j}");
        }
    }

    [TestCase(16)]
    [TestCase(64)]
    [TestCase(2048)]
    public unsafe void The_2x4_tinyblas_tile_gives_each_pair_tinyblas_bits(int length)
    {
        if (!F16Dot.TileSupported)
        {
            Assert.Ignore("no FMA here: batches go through tinyBLAS one pair at a time");
        }

        var rng = new Random(length + 1);
        var rows = RandomFloats(rng, 2 * length);
        var x = RandomFloats(rng, 4 * length);
        var tile = new float[8];
        fixed (float* w = rows)
        fixed (float* xp = x)
        {
            F16Dot.TinyBlasTile(w, w + length, xp, length, length, tile);
        }

        for (var t = 0; t < 4; t++)
        {
            for (var r = 0; r < 2; r++)
            {
                var expected = F16Dot.TinyBlas(rows.AsSpan(r * length, length), 1, x.AsSpan(t * length, length), length);
                Assert.That(Bits(tile[(2 * t) + r]), Is.EqualTo(Bits(expected)), $"row {r}, token {t}");
            }
        }
    }

    [TestCase(64, false)]
    [TestCase(2048, false)]
    [TestCase(5632, false)]
    [TestCase(100, false)]
    [TestCase(2048, true)]
    public void The_fused_f16_row_dot_equals_convert_then_vec_dot_f16(int length, bool withInfinity)
    {
        var rng = new Random(length);
        var row = new byte[2 * length];
        for (var i = 0; i < length; i++)
        {
            // Every exponent, subnormals and signed zeros included.
            var bits = (ushort)rng.Next(0, 0x7c00);
            bits |= (ushort)(rng.Next(2) << 15);
            BitConverter.TryWriteBytes(row.AsSpan(2 * i), bits);
        }

        if (withInfinity)
        {
            BitConverter.TryWriteBytes(row.AsSpan(2 * 77), (ushort)0x7c00);
        }

        var x = RandomFloats(rng, length);
        var converted = new float[length];
        Dequantize.F16(row, converted);
        var expected = FloatDot.F16(converted, x);
        var scratch = new float[length];
        var scaled = new float[length];
        F16RowDot.ScaleX(x, scaled);
        Assert.That(F16RowDot.AllFinite(row), Is.EqualTo(!withInfinity));
        foreach (var (kernel, dot) in Kernels())
        {
            var actual = dot(row, x, scaled, scratch, false);
            Assert.That(float.IsNaN(actual) ? "NaN" : Bits(actual).ToString(), Is.EqualTo(float.IsNaN(expected) ? "NaN" : Bits(expected).ToString()), kernel);
            if (!withInfinity)
            {
                // Rows known finite skip the search for infinities and NaNs: same bits.
                Assert.That(Bits(dot(row, x, scaled, scratch, true)), Is.EqualTo(Bits(expected)), $"finite rows, {kernel}");
            }
        }
    }

    private delegate float F16RowKernel(ReadOnlySpan<byte> row, ReadOnlySpan<float> x, ReadOnlySpan<float> xScaled, Span<float> scratch, bool rowsFinite);

    /// <summary>The two-pass reference and each fused kernel this machine runs.</summary>
    private static IEnumerable<(string Name, F16RowKernel Dot)> Kernels()
    {
        yield return ("two-pass", (row, x, _, scratch, _) => F16RowDot.DotTwoPass(row, x, scratch));
        if (F16RowDot.UseVectors)
        {
            yield return ("256-bit", F16RowDot.Dot256);
        }

        if (F16RowDot.Use512)
        {
            yield return ("512-bit", F16RowDot.Dot512);
        }
    }

    [TestCase(4096, false)]
    [TestCase(5632, false)]
    [TestCase(5632, true)]
    public unsafe void Four_long_rows_at_once_give_each_row_the_single_row_bits(int length, bool withNaN)
    {
        if (!F16RowDot.Use512)
        {
            Assert.Ignore("the four-row kernel is AVX-512 only");
        }

        var rng = new Random(length + 3);
        var stride = (2 * length) + 64; // rows apart as in a matrix with padding, not a multiple of 4 KiB
        var rows = new byte[4 * stride];
        for (var i = 0; i < rows.Length; i += 2)
        {
            BitConverter.TryWriteBytes(rows.AsSpan(i), (Half)((rng.NextDouble() - 0.5) * 0.1));
        }

        if (withNaN)
        {
            BitConverter.TryWriteBytes(rows.AsSpan((2 * stride) + 200), (ushort)0x7e01);
        }

        var x = RandomFloats(rng, length);
        var scaled = new float[length];
        F16RowDot.ScaleX(x, scaled);
        var scratch = new float[length];
        var results = new float[4];
        fixed (byte* w = rows)
        fixed (float* xs = scaled)
        {
            var done = F16RowDot.Dot4(w, stride, xs, length, results);
            Assert.That(done, Is.EqualTo(!withNaN), "a row holding a NaN is refused");
            if (!done)
            {
                return;
            }

            for (var r = 0; r < 4; r++)
            {
                var expected = F16RowDot.Dot(rows.AsSpan(r * stride, 2 * length), x, scaled, scratch);
                Assert.That(Bits(results[r]), Is.EqualTo(Bits(expected)), $"row {r}");
            }

            Assert.That(F16RowDot.Dot4(w, stride, xs, length, results, rowsFinite: true), Is.True);
        }
    }

    private static float[] RandomFloats(Random rng, int n)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = (float)(Half)((rng.NextDouble() - 0.5) * 4);
        }

        return v;
    }

    private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);
}
