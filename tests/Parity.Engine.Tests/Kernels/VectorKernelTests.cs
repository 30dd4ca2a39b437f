using System.Runtime.Intrinsics;
using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// Every vector kernel against its scalar reference, bit for bit, on random blocks and every block count 1..8 (and
/// odd element counts for the float types, to reach the tails). <c>Parity.Tests/Engine/VectorWidthTests</c> runs whole
/// forward passes in child processes with AVX-512, AVX2 and all intrinsics switched off and requires the same bits.
/// </summary>
[TestFixture]
public sealed class VectorKernelTests
{
    public delegate void Kernel(ReadOnlySpan<byte> source, Span<float> destination);

    public static IEnumerable<TestCaseData> Kernels()
    {
        yield return Case("Q4_0", 18, 32, [0], Dequantize.Q4_0, Dequantize.Q4_0Vector256);
        yield return Case("Q4_1", 20, 32, [0, 2], Dequantize.Q4_1, Dequantize.Q4_1Vector256);
        yield return Case("Q5_0", 22, 32, [0], Dequantize.Q5_0, Dequantize.Q5_0Vector256);
        yield return Case("Q5_1", 24, 32, [0, 2], Dequantize.Q5_1, Dequantize.Q5_1Vector256);
        yield return Case("Q8_0", 34, 32, [0], Dequantize.Q8_0, Dequantize.Q8_0Vector256);
        yield return Case("Q2_K", 84, 256, [80, 82], Dequantize.Q2_K, Dequantize.Q2_KVector256);
        yield return Case("Q3_K", 110, 256, [108], Dequantize.Q3_K, Dequantize.Q3_KVector256);
        yield return Case("Q4_K", 144, 256, [0, 2], Dequantize.Q4_K, Dequantize.Q4_KVector256);
        yield return Case("Q5_K", 176, 256, [0, 2], Dequantize.Q5_K, Dequantize.Q5_KVector256);
        yield return Case("Q6_K", 210, 256, [208], Dequantize.Q6_K, Dequantize.Q6_KVector256);
    }

    [TestCaseSource(nameof(Kernels))]
    public void The_vector_kernel_equals_the_scalar_reference_bit_for_bit(string type, int blockBytes, int blockElements, int[] halfOffsets, Kernel scalarKernel, Kernel vectorKernel)
    {
        RequireVector256();
        var rng = new Random(11);
        for (var blocks = 1; blocks <= 8; blocks++)
        {
            var bytes = new byte[blocks * blockBytes];
            rng.NextBytes(bytes);
            for (var b = 0; b < blocks; b++)
            {
                // the F16 scales as finite halves of realistic size
                foreach (var at in halfOffsets)
                {
                    BitConverter.TryWriteBytes(bytes.AsSpan((b * blockBytes) + at), (Half)((rng.NextDouble() - 0.3) * 0.01));
                }
            }

            var scalar = new float[blocks * blockElements];
            var vector = new float[blocks * blockElements];
            scalarKernel(bytes, scalar);
            vectorKernel(bytes, vector);
            Assert.That(vector.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(scalar.Select(BitConverter.SingleToInt32Bits)), $"{type}, {blocks} blocks");
        }
    }

    [TestCase("F16")]
    [TestCase("BF16")]
    public void The_float_kernels_equal_the_scalar_ones_for_every_length_and_every_finite_bit_pattern(string type)
    {
        RequireVector256();
        var rng = new Random(5);
        for (var length = 1; length <= 70; length++)
        {
            var bytes = new byte[length * 2];
            rng.NextBytes(bytes);
            var scalar = new float[length];
            var vector = new float[length];
            if (type == "F16")
            {
                Dequantize.F16(bytes, scalar);
                Dequantize.F16Vector(bytes, vector);
            }
            else
            {
                Dequantize.BF16(bytes, scalar);
                Dequantize.BF16Vector256(bytes, vector);
            }

            // NaN payloads are not part of the contract (no weight is NaN); every other value must match bit for bit.
            for (var i = 0; i < length; i++)
            {
                Assert.That(float.IsNaN(vector[i]) ? "NaN" : BitConverter.SingleToInt32Bits(vector[i]).ToString(), Is.EqualTo(float.IsNaN(scalar[i]) ? "NaN" : BitConverter.SingleToInt32Bits(scalar[i]).ToString()), $"{type}, length {length}, element {i}");
            }
        }
    }

    [Test]
    public void The_f16_kernel_converts_all_65536_bit_patterns_as_the_scalar_one_does()
    {
        RequireVector256();
        var bytes = new byte[65536 * 2];
        for (var i = 0; i < 65536; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (ushort)i);
        }

        var scalar = new float[65536];
        var vector = new float[65536];
        Dequantize.F16(bytes, scalar);
        Dequantize.F16Vector(bytes, vector);
        for (var i = 0; i < 65536; i++)
        {
            if (float.IsNaN(scalar[i]))
            {
                Assert.That(float.IsNaN(vector[i]), $"0x{i:x4} is NaN");
                continue;
            }

            Assert.That(BitConverter.SingleToInt32Bits(vector[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(scalar[i])), $"0x{i:x4}");
        }
    }

    private static void RequireVector256()
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            Assert.Ignore("this process has no hardware 256-bit vectors, so the scalar kernels are the ones in use (the child-process width tests cover this case)");
        }
    }

    private static TestCaseData Case(string type, int blockBytes, int blockElements, int[] halfOffsets, Kernel scalar, Kernel vector) =>
        new TestCaseData(type, blockBytes, blockElements, halfOffsets, scalar, vector).SetName($"{type}: Vector256 equals the scalar reference");
}
