using System.Runtime.Intrinsics;
using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>Every vector kernel against its scalar reference, bit for bit, on random blocks and every block count 1..8.</summary>
[TestFixture]
public sealed class VectorKernelTests
{
    [TestCase("Q4_0", 18)]
    [TestCase("Q8_0", 34)]
    [TestCase("Q4_K", 144)]
    [TestCase("Q6_K", 210)]
    public void The_vector256_kernel_equals_the_scalar_reference_bit_for_bit(string type, int blockBytes)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            Assert.Ignore("this machine has no 256-bit vectors; the scalar kernels are the ones in use");
        }

        var rng = new Random(11);
        for (var blocks = 1; blocks <= 8; blocks++)
        {
            var bytes = new byte[blocks * blockBytes];
            rng.NextBytes(bytes);
            for (var b = 0; b < blocks; b++)
            {
                // the F16 scales as finite halves of realistic size (Q4_K: d and dmin first; Q6_K: d last; Q4_0/Q8_0: d first)
                foreach (var at in type switch { "Q4_K" => new[] { 0, 2 }, "Q6_K" => [208], _ => [0] })
                {
                    BitConverter.TryWriteBytes(bytes.AsSpan((b * blockBytes) + at), (Half)(rng.NextDouble() * 0.01));
                }
            }

            var elements = blocks * (type.EndsWith("_K", StringComparison.Ordinal) ? 256 : 32);
            var scalar = new float[elements];
            var vector = new float[elements];
            switch (type)
            {
                case "Q4_0":
                    Dequantize.Q4_0(bytes, scalar);
                    Dequantize.Q4_0Vector256(bytes, vector);
                    break;
                case "Q8_0":
                    Dequantize.Q8_0(bytes, scalar);
                    Dequantize.Q8_0Vector256(bytes, vector);
                    break;
                case "Q4_K":
                    Dequantize.Q4_K(bytes, scalar);
                    Dequantize.Q4_KVector256(bytes, vector);
                    break;
                default:
                    Dequantize.Q6_K(bytes, scalar);
                    Dequantize.Q6_KVector256(bytes, vector);
                    break;
            }

            Assert.That(vector.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(scalar.Select(BitConverter.SingleToInt32Bits)), $"{type}, {blocks} blocks");
        }
    }
}
