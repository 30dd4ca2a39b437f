namespace Parity.Engine.Kernels;

/// <summary>
/// GEGLU: <c>gelu(gate) * up</c> with the tanh approximation
/// <c>gelu(x) = 0.5x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x²)))</c>. In ggml numerics the CPU backend
/// (<c>GGML_GELU_FP16</c>) looks gelu up in a table of 65536 half-precision values indexed by the gate rounded to
/// half, outside (-10, 10) it takes 0 or the gate itself; the table is filled once at start-up in float with libm
/// <c>tanhf</c> and one fused multiply-add (the compiler contracts <c>1 + a·x·x</c>), as the avx512 and avx2 libraries'
/// <c>ggml_cpu_init</c> compute it; the noavx library, built without FMA, rounds that product and sum apart
/// (<c>(a·x)·x + 1</c>, read from its disassembly). Otherwise the formula in float, as ggml's scalar definition.
/// </summary>
public static class Geglu
{
    private const float CoefA = 0.044715f;
    private const float SqrtTwoOverPi = 0.79788456080286535587989211986876f;

    private static readonly Lazy<float[]> HalfTable = new(() => BuildTable(contracted: true));

    private static readonly Lazy<float[]> HalfTableUnfused = new(() => BuildTable(contracted: false));

    /// <param name="ggml">True: ggml's half-precision table; false: the formula in float.</param>
    /// <param name="contracted">The table as a library with FMA fills it (false: the noavx library's separate product and sum).</param>
    public static void Apply(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> destination, bool ggml, bool contracted = true)
    {
        if (!ggml)
        {
            for (var i = 0; i < gate.Length; i++)
            {
                destination[i] = Gelu(gate[i]) * up[i];
            }

            return;
        }

        var table = contracted ? HalfTable.Value : HalfTableUnfused.Value;
        for (var i = 0; i < gate.Length; i++)
        {
            var x = gate[i];
            destination[i] = x <= -10.0f ? 0.0f
                : x >= 10.0f ? x * up[i]
                : table[BitConverter.HalfToUInt16Bits((Half)x)] * up[i];
        }
    }

    /// <summary>ggml's <c>ggml_gelu_f32</c> in float, without contraction.</summary>
    public static float Gelu(float x) => 0.5f * x * (1.0f + MathF.Tanh(SqrtTwoOverPi * x * (1.0f + (CoefA * x * x))));

    /// <summary>The table entry for the half-precision value with bits <paramref name="bits"/>, widened to float.</summary>
    public static float TableEntry(ushort bits, bool contracted = true) => (contracted ? HalfTable.Value : HalfTableUnfused.Value)[bits];

    private static float[] BuildTable(bool contracted)
    {
        var table = new float[1 << 16];
        for (var i = 0; i < table.Length; i++)
        {
            var x = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            var inner = contracted ? MathF.FusedMultiplyAdd(x, x * CoefA, 1.0f) : (CoefA * x * x) + 1.0f;
            var t = MathF.Tanh(x * SqrtTwoOverPi * inner);
            table[i] = (float)(Half)(x * 0.5f * (t + 1.0f));
        }

        return table;
    }
}
