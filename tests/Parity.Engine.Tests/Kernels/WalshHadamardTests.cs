using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>The fast Walsh-Hadamard rotation against its definition, the Sylvester matrix H/√n, and the Q8_0 rows it feeds.</summary>
[TestFixture]
public sealed class WalshHadamardTests
{
    [TestCase(64)]
    [TestCase(128)]
    public void The_fast_rotation_is_the_sylvester_matrix_product_scaled_by_one_over_root_n(int n)
    {
        var h = Sylvester(n);
        var rng = new Random(n);
        var x = Enumerable.Range(0, 3 * n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var rotated = (float[])x.Clone();
        WalshHadamard.Rotate(rotated, n);
        for (var chunk = 0; chunk < 3; chunk++)
        {
            for (var i = 0; i < n; i++)
            {
                var exact = 0.0;
                for (var j = 0; j < n; j++)
                {
                    exact += h[i, j] * x[(chunk * n) + j];
                }

                exact /= Math.Sqrt(n);
                Assert.That(rotated[(chunk * n) + i], Is.EqualTo(exact).Within(1e-6), $"chunk {chunk}, output {i}");
            }
        }
    }

    [Test]
    public void Rotating_twice_gives_back_the_input_because_h_over_root_n_is_symmetric_and_orthogonal()
    {
        var rng = new Random(5);
        var x = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var y = (float[])x.Clone();
        WalshHadamard.Rotate(y, 64);
        Assert.That(y, Is.Not.EqualTo(x));
        WalshHadamard.Rotate(y, 64);
        Assert.That(y, Is.EqualTo(x).Within(1e-6));
    }

    [TestCase(64, 64)]
    [TestCase(128, 128)]
    [TestCase(192, 64)]
    [TestCase(256, 256)]
    [TestCase(96, 0)]
    [TestCase(32, 0)]
    [TestCase(8, 0)]
    public void The_rotation_size_is_the_largest_power_of_two_from_64_dividing_the_head(int headDim, int expected) =>
        Assert.That(WalshHadamard.RotationSize(headDim), Is.EqualTo(expected));

    [Test]
    public void A_size_that_does_not_divide_the_data_is_refused() =>
        Assert.That(() => WalshHadamard.Rotate(new float[96], 64), Throws.ArgumentException.With.Message.Contains("96"));

    /// <summary>A K cache row in Q8_0 blocks: each block's F16 scale and quants are the activation quantizer's.</summary>
    [Test]
    public void Q8_0_rows_hold_the_activation_quantizers_scales_and_quants()
    {
        var rng = new Random(3);
        var row = Enumerable.Range(0, 128).Select(_ => (float)((rng.NextDouble() - 0.5) * 8)).ToArray();
        row[40] = 0;
        Array.Clear(row, 96, 32); // an all-zero block: scale 0, quants 0
        var blocks = new byte[Q8_0RowQuantizer.RowBytes(row.Length)];
        Q8_0RowQuantizer.Quantize(row, blocks);
        Assert.That(blocks, Has.Length.EqualTo(4 * 34));
        for (var b = 0; b < 4; b++)
        {
            var quants = new sbyte[32];
            var d = Q8_0Activations.QuantizeBlock(row.AsSpan(b * 32, 32), quants);
            Assert.That(BitConverter.ToHalf(blocks, b * 34), Is.EqualTo((Half)d), $"block {b} scale");
            Assert.That(blocks.Skip((b * 34) + 2).Take(32).Select(v => (sbyte)v), Is.EqualTo(quants), $"block {b} quants");
        }

        var back = new float[128];
        Dequantize.Row(Parity.Gguf.GgmlType.Q8_0, blocks, back);
        Assert.That(back.Zip(row).Max(p => Math.Abs(p.First - p.Second)), Is.LessThan(4.0 / 127 * 0.5 * 1.01), "within half a quantization step");
    }

    private static int[,] Sylvester(int n)
    {
        var h = new int[n, n];
        h[0, 0] = 1;
        for (var size = 1; size < n; size *= 2)
        {
            for (var i = 0; i < size; i++)
            {
                for (var j = 0; j < size; j++)
                {
                    h[i, j + size] = h[i, j];
                    h[i + size, j] = h[i, j];
                    h[i + size, j + size] = -h[i, j];
                }
            }
        }

        return h;
    }
}
