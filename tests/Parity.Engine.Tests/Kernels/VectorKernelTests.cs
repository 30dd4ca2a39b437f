using System.Runtime.Intrinsics;
using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>Every vector kernel against its scalar reference, bit for bit, on random blocks and every block count 1..8.</summary>
[TestFixture]
public sealed class VectorKernelTests
{
    [Test]
    public void Q4_K_vector256_equals_the_scalar_reference_bit_for_bit()
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            Assert.Ignore("this machine has no 256-bit vectors; the scalar kernel is the one in use");
        }

        var rng = new Random(11);
        for (var blocks = 1; blocks <= 8; blocks++)
        {
            var bytes = new byte[blocks * 144];
            rng.NextBytes(bytes);
            for (var b = 0; b < blocks; b++)
            {
                // d and dmin as finite halves of realistic size
                BitConverter.TryWriteBytes(bytes.AsSpan(b * 144), (Half)(rng.NextDouble() * 0.01));
                BitConverter.TryWriteBytes(bytes.AsSpan((b * 144) + 2), (Half)(rng.NextDouble() * 0.01));
            }

            var scalar = new float[blocks * 256];
            var vector = new float[blocks * 256];
            Dequantize.Q4_K(bytes, scalar);
            Dequantize.Q4_KVector256(bytes, vector);
            Assert.That(vector.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(scalar.Select(BitConverter.SingleToInt32Bits)), $"{blocks} blocks");
        }
    }
}
