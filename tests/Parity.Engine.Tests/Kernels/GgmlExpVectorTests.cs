using System.Runtime.Intrinsics;
using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>ggml's vector <c>expf</c> eight lanes at a time against its one-lane reference, bit for bit, in both builds' forms.</summary>
[TestFixture]
public sealed class GgmlExpVectorTests
{
    [Test]
    public void Every_lane_equals_the_scalar_exp_across_the_range_and_its_edges()
    {
        var random = new Random(4);
        var inputs = new List<float> { float.NegativeInfinity, float.PositiveInfinity, float.NaN, 0f, -0f, -87.3f, -87.4f, -88.8f, 88.7f, -103.9f, -133f, -200f };
        for (var i = 0; i < 200_000; i++)
        {
            inputs.Add((random.NextSingle() * 120) - 110);
        }

        for (var i = 0; i < 4_000; i++)
        {
            inputs.Add((random.NextSingle() * 400) - 300);
        }

        var x = inputs.ToArray();
        for (var i = 0; i + 8 <= x.Length; i += 8)
        {
            var v = Vector256.Create(x.AsSpan(i, 8));
            var exp = GgmlExp.Exp(v);
            var exp2 = GgmlExp.ExpAvx2(v);
            for (var l = 0; l < 8; l++)
            {
                Assert.That(BitConverter.SingleToInt32Bits(exp[l]), Is.EqualTo(BitConverter.SingleToInt32Bits(GgmlExp.Exp(x[i + l]))), $"avx512 exp({x[i + l]:R})");
                Assert.That(BitConverter.SingleToInt32Bits(exp2[l]), Is.EqualTo(BitConverter.SingleToInt32Bits(GgmlExp.ExpAvx2(x[i + l]))), $"avx2 exp({x[i + l]:R})");
            }
        }
    }
}
