namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's vectorized <c>expf</c>, <c>ggml_v_expf</c>, as its AVX-512 build evaluates each lane
/// (docs/ggml-cpu-numerics-facts.md): a range reduction by n = round(x·log2 e), a degree-5 polynomial in FMAs,
/// then <c>scalef</c>(j, n) = j·2ⁿ with one rounding; |n| &gt; 192 gives 0 or +inf (so -inf gives exactly 0). Each
/// lane is independent, so one float at a time reproduces it. Softmax and SiLU use it for their 16-wide chunks.
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

    /// <summary>The number of elements ggml's AVX-512 loops take per chunk; a row's remainder goes through libm.</summary>
    public const int Lanes = 16;

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
}
