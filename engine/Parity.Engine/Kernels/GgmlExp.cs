using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's vectorized <c>expf</c>, <c>ggml_v_expf</c>, per lane, as two builds evaluate it (docs/ggml-cpu-numerics-facts.md):
/// the same range reduction by n = round(x·log2 e) and polynomial coefficients, but the AVX-512 build scales by
/// <c>scalef</c> and the AVX2 build by building 2ⁿ in the exponent bits (<see cref="ExpAvx2"/>). Each lane is
/// independent of the others, so one float at a time reproduces either. The SSE2 code of a build without FMA
/// (<see cref="ExpSse2"/>) is the AVX2 build's sequence with every fused multiply-add split into a product and a sum.
/// Softmax and SiLU use it for their vector chunks. The <see cref="Vector256{T}"/> forms compute eight lanes with the
/// same operations (2ⁿ a float multiplier, which rounds as <c>scalef</c> does while |n| ≤ 126) and take the scalar
/// form for a chunk with a lane beyond that range; an input of -inf gives 0 in both.
/// </summary>
public static class GgmlExp
{
    private static readonly float Log2E = BitConverter.UInt32BitsToSingle(0x3fb8aa3b);
    private static readonly float Shifter = BitConverter.UInt32BitsToSingle(0x4b400000);
    private static readonly float Ln2Low = BitConverter.UInt32BitsToSingle(0x35bfbe8e);
    private static readonly float Ln2High = BitConverter.UInt32BitsToSingle(0x3f317200);
    private static readonly float C5 = BitConverter.UInt32BitsToSingle(0x3c072010);
    private static readonly float C4 = BitConverter.UInt32BitsToSingle(0x3d2b9f17);
    private static readonly float C3 = BitConverter.UInt32BitsToSingle(0x3e2aaf33);
    private static readonly float C2 = BitConverter.UInt32BitsToSingle(0x3efffedb);
    private static readonly float C1 = BitConverter.UInt32BitsToSingle(0x3f7ffff6);

    /// <summary>The AVX-512 build: a degree-5 polynomial in FMAs, <c>scalef</c>(j, n) = j·2ⁿ with one rounding; |n| &gt; 192 gives 0 or +inf (so -inf gives exactly 0).</summary>
    public static float Exp(float x)
    {
        var z = MathF.FusedMultiplyAdd(x, Log2E, Shifter);
        var n = z - Shifter;
        var b = MathF.FusedMultiplyAdd(-n, Ln2Low, MathF.FusedMultiplyAdd(-n, Ln2High, x));
        var u = b * b;
        var j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C5, b, C4), u, MathF.FusedMultiplyAdd(C3, b, C2)),
            u,
            MathF.FusedMultiplyAdd(C1, b, 1.0f));
        if (!(MathF.Abs(n) <= 192))
        {
            return n <= 0 ? 0f : float.PositiveInfinity;
        }

        return MathF.ScaleB(j, (int)n);
    }

    /// <summary><see cref="Exp(float)"/> of eight lanes.</summary>
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var (n, b, u) = Reduce(x);
        var j = Vector256.FusedMultiplyAdd(Polynomial(b, u), u, Vector256.FusedMultiplyAdd(Vector256.Create(C1), b, Vector256.Create(1.0f)));
        if (!InRange(x, n))
        {
            return Lanes(x, Exp);
        }

        return Vector256.ConditionalSelect(Vector256.Equals(x, Vector256.Create(float.NegativeInfinity)), Vector256<float>.Zero, j * PowerOfTwo(n));
    }

    /// <summary>
    /// The AVX2 build: the polynomial without its constant term (its last term a product, c1·b), and the result
    /// j·k + k with k = 2ⁿ built from the shifted bits of z; where |n| &gt; 126 that k would overflow, so 2ⁿ is split
    /// into s1·s2, and past |n| &gt; 192 the result is s1·s1 (0 or +inf; -inf gives exactly 0).
    /// </summary>
    public static float ExpAvx2(float x)
    {
        var z = MathF.FusedMultiplyAdd(x, Log2E, Shifter);
        var n = z - Shifter;
        var b = MathF.FusedMultiplyAdd(-n, Ln2Low, MathF.FusedMultiplyAdd(-n, Ln2High, x));
        var e = BitConverter.SingleToUInt32Bits(z) << 23;
        var k = BitConverter.UInt32BitsToSingle(e + 0x3f800000u);
        var u = b * b;
        var j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C5, b, C4), u, MathF.FusedMultiplyAdd(C3, b, C2)),
            u,
            C1 * b);
        var magnitude = MathF.Abs(n);
        if (!(magnitude > 126))
        {
            return MathF.FusedMultiplyAdd(k, j, k);
        }

        var g = n <= 0 ? 0x82000000u : 0u;
        var s1 = BitConverter.UInt32BitsToSingle(g + 0x7f000000u);
        if (magnitude > 192)
        {
            return s1 * s1;
        }

        var s2 = BitConverter.UInt32BitsToSingle(e - g);
        return MathF.FusedMultiplyAdd(s2, j, s2) * s1;
    }

    /// <summary><see cref="ExpAvx2(float)"/> of eight lanes.</summary>
    public static Vector256<float> ExpAvx2(Vector256<float> x)
    {
        var (n, b, u) = Reduce(x);
        var j = Vector256.FusedMultiplyAdd(Polynomial(b, u), u, Vector256.Create(C1) * b);
        if (!InRange(x, n))
        {
            return Lanes(x, ExpAvx2);
        }

        var k = PowerOfTwo(n);
        return Vector256.ConditionalSelect(Vector256.Equals(x, Vector256.Create(float.NegativeInfinity)), Vector256<float>.Zero, Vector256.FusedMultiplyAdd(k, j, k));
    }

    /// <summary>
    /// The SSE2 build without FMA (llama.cpp's noavx library; constants and order read from its
    /// <c>ggml_vec_soft_max_f32</c>): <see cref="ExpAvx2"/>'s steps with <c>MADD128(a, b, c)</c> as <c>a·b + c</c> and
    /// <c>NMADD128(a, b, c)</c> as <c>c − a·b</c>, each product and sum rounded apart.
    /// </summary>
    public static float ExpSse2(float x)
    {
        var z = (x * Log2E) + Shifter;
        var n = z - Shifter;
        var b = (x - (n * Ln2High)) - (n * Ln2Low);
        var e = BitConverter.SingleToUInt32Bits(z) << 23;
        var k = BitConverter.UInt32BitsToSingle(e + 0x3f800000u);
        var u = b * b;
        var j = (((((C5 * b) + C4) * u) + ((C3 * b) + C2)) * u) + (C1 * b);
        var magnitude = MathF.Abs(n);
        if (!(magnitude > 126))
        {
            return (j * k) + k;
        }

        var g = n <= 0 ? 0x82000000u : 0u;
        var s1 = BitConverter.UInt32BitsToSingle(g + 0x7f000000u);
        if (magnitude > 192)
        {
            return s1 * s1;
        }

        var s2 = BitConverter.UInt32BitsToSingle(e - g);
        return ((s2 * j) + s2) * s1;
    }

    /// <summary>The range reduction: n = round(x·log2 e), b = x − n·ln 2 in two steps, u = b².</summary>
    private static (Vector256<float> N, Vector256<float> B, Vector256<float> U) Reduce(Vector256<float> x)
    {
        var shifter = Vector256.Create(Shifter);
        var n = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), shifter) - shifter;
        var b = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2Low), Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2High), x));
        return (n, b, b * b);
    }

    /// <summary>(c5·b + c4)·u + (c3·b + c2), the part of the polynomial both builds share.</summary>
    private static Vector256<float> Polynomial(Vector256<float> b, Vector256<float> u) =>
        Vector256.FusedMultiplyAdd(
            Vector256.FusedMultiplyAdd(Vector256.Create(C5), b, Vector256.Create(C4)),
            u,
            Vector256.FusedMultiplyAdd(Vector256.Create(C3), b, Vector256.Create(C2)));

    /// <summary>Whether every lane is -inf or has |n| ≤ 126, where 2ⁿ is a normal float.</summary>
    private static bool InRange(Vector256<float> x, Vector256<float> n) =>
        (Vector256.LessThanOrEqual(Vector256.Abs(n), Vector256.Create(126f)) | Vector256.Equals(x, Vector256.Create(float.NegativeInfinity))).ExtractMostSignificantBits() == 0xFFu;

    /// <summary>2ⁿ from the integral n (-126 ≤ n ≤ 126) as float bits; lanes outside give garbage the caller discards.</summary>
    private static Vector256<float> PowerOfTwo(Vector256<float> n) =>
        ((Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23).AsSingle();

    private static Vector256<float> Lanes(Vector256<float> x, Func<float, float> exp)
    {
        Span<float> lanes = stackalloc float[Vector256<float>.Count];
        x.CopyTo(lanes);
        for (var i = 0; i < lanes.Length; i++)
        {
            lanes[i] = exp(lanes[i]);
        }

        return Vector256.Create((ReadOnlySpan<float>)lanes);
    }
}
