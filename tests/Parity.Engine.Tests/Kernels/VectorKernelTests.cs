using System.Runtime.Intrinsics;
using Parity.Engine.Kernels;
using Parity.Gguf;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// Every vector kernel against its scalar reference, bit for bit, on random blocks and every block count 1..8 (and
/// odd element counts for the float types, to reach the tails). <c>Parity.Tests/Engine/VectorWidthTests</c> runs whole
/// forward passes in child processes with AVX-512, AVX2 and all intrinsics switched off and requires the same bits.
/// </summary>
[TestFixture]
public sealed class VectorKernelTests
{
    /// <summary>Where each quantized type keeps its F16 scales (random bytes there would be infinities and NaNs).</summary>
    private static readonly Dictionary<GgmlType, int[]> HalfOffsets = new()
    {
        [GgmlType.Q4_0] = [0], [GgmlType.Q4_1] = [0, 2], [GgmlType.Q5_0] = [0], [GgmlType.Q5_1] = [0, 2], [GgmlType.Q8_0] = [0],
        [GgmlType.Q2_K] = [80, 82], [GgmlType.Q3_K] = [108], [GgmlType.Q4_K] = [0, 2], [GgmlType.Q5_K] = [0, 2], [GgmlType.Q6_K] = [208],
    };

    /// <summary>Every quantized row of the table with a vector dequantizer: a new row is tested once it names its scales.</summary>
    public static IEnumerable<GgmlType> QuantizedWithVectorKernels() =>
        GgmlTypeTable.Default.Rows.Where(r => r.Layout.IsQuantized && r.ToFloatVector is not null).Select(r => r.Type);

    [TestCaseSource(nameof(QuantizedWithVectorKernels))]
    public void The_vector_kernel_equals_the_scalar_reference_bit_for_bit(GgmlType type)
    {
        RequireVector256();
        var row = GgmlTypeTable.Default[type];
        Assert.That(HalfOffsets.TryGetValue(type, out var halfOffsets), $"{type}: name where its F16 scales lie");
        var rng = new Random(11);
        for (var blocks = 1; blocks <= 8; blocks++)
        {
            var bytes = new byte[blocks * row.TypeSize];
            rng.NextBytes(bytes);
            for (var b = 0; b < blocks; b++)
            {
                // the F16 scales as finite halves of realistic size
                foreach (var at in halfOffsets!)
                {
                    BitConverter.TryWriteBytes(bytes.AsSpan((b * row.TypeSize) + at), (Half)((rng.NextDouble() - 0.3) * 0.01));
                }
            }

            var scalar = new float[blocks * row.BlockSize];
            var vector = new float[blocks * row.BlockSize];
            row.ToFloat!(bytes, scalar);
            row.ToFloatVector!(bytes, vector);
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

}
