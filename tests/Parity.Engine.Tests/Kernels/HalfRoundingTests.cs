using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>The vector float→half→float rounding against the BCL's exact conversion, bit for bit.</summary>
[TestFixture]
public sealed class HalfRoundingTests
{
    [Test]
    public void Every_half_value_its_neighbours_and_midpoints_round_as_the_bcl_rounds()
    {
        var values = new List<float>();
        for (var h = 0; h < 0x7c00; h++)
        {
            var f = (float)BitConverter.UInt16BitsToHalf((ushort)h);
            var next = (float)BitConverter.UInt16BitsToHalf((ushort)(h + 1));
            var mid = (f + next) / 2; // exact in float: a tie
            foreach (var v in new[] { f, mid, BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(mid) + 1), BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(mid) - 1) })
            {
                values.Add(v);
                values.Add(-v);
            }
        }

        values.AddRange([65504f, 65519.99f, 65520f, 70000f, 1e30f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-30f, -1e-30f, float.Epsilon, 0f, -0f]);
        var rng = new Random(9);
        for (var i = 0; i < 100_000; i++)
        {
            values.Add(BitConverter.Int32BitsToSingle(rng.Next()) * (rng.Next(2) == 0 ? 1 : -1));
        }

        AssertSame(values.ToArray());
    }

    private static void AssertSame(float[] x)
    {
        var vector = new float[x.Length];
        HalfRounding.RoundVector256(x, vector);
        AssertMatches(x, vector);
        HalfRounding.RoundVector512(x, vector);
        AssertMatches(x, vector);
    }

    private static void AssertMatches(float[] x, float[] vector)
    {
        for (var i = 0; i < x.Length; i++)
        {
            var expected = (float)(Half)x[i];
            if (float.IsNaN(expected))
            {
                Assert.That(float.IsNaN(vector[i]), $"{x[i]:R} should round to NaN");
                continue;
            }

            Assert.That(BitConverter.SingleToInt32Bits(vector[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"{x[i]:R} (0x{BitConverter.SingleToInt32Bits(x[i]):x8})");
        }
    }
}
