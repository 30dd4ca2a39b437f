using Parity.Gguf;

namespace Parity.Engine.Kernels;

/// <summary>
/// The activation rounding ggml's CPU backend applies before a product with a weight type (its <c>vec_dot_type</c>),
/// done as quantize-then-dequantize so the engine's float dot product sees exactly the values ggml's integer or half
/// dot product uses. The quantizers follow ggml's: Q8_0/Q8_1 blocks of 32 with d = amax/127 (stored as F16) and
/// round-half-to-even of x * 127/amax (the x86 path); Q8_K blocks of 256 with iscale = -127/max taken from the
/// element of largest magnitude, round-half-to-even, clamp at 127, d = 1/iscale (kept in F32).
/// </summary>
public static class ActivationRounding
{
    /// <summary>What activations become before a product with <paramref name="weight"/>, or null when they stay F32.</summary>
    public static GgmlType? VecDotType(GgmlType weight) => weight switch
    {
        GgmlType.F16 => GgmlType.F16,
        GgmlType.BF16 => GgmlType.BF16,
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 => GgmlType.Q8_0,
        GgmlType.Q4_1 or GgmlType.Q5_1 => GgmlType.Q8_1,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => GgmlType.Q8_K,
        _ => null,
    };

    /// <summary>Rounds <paramref name="x"/> into <paramref name="destination"/> as ggml would for <paramref name="type"/>.</summary>
    public static void Apply(GgmlType type, ReadOnlySpan<float> x, Span<float> destination)
    {
        switch (type)
        {
            case GgmlType.F16:
                HalfRounding.Round(x, destination);
                break;
            case GgmlType.BF16:
                for (var i = 0; i < x.Length; i++)
                {
                    destination[i] = ToBf16(x[i]);
                }

                break;
            case GgmlType.Q8_0 or GgmlType.Q8_1:
                Q8Blocks(x, destination);
                break;
            case GgmlType.Q8_K:
                Q8K(x, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "not an activation type");
        }
    }

    /// <summary>F32 to BF16 with round-half-to-even (NaN kept quiet), then back to F32.</summary>
    private static float ToBf16(float f)
    {
        var u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7fffffff) > 0x7f800000)
        {
            return BitConverter.UInt32BitsToSingle((u | 0x00400000) & 0xffff0000);
        }

        u = (u + (0x7fff + ((u >> 16) & 1))) & 0xffff0000;
        return BitConverter.UInt32BitsToSingle(u);
    }

    private static void Q8Blocks(ReadOnlySpan<float> x, Span<float> destination)
    {
        const int qk = 32;
        for (var b = 0; b < x.Length; b += qk)
        {
            var block = x.Slice(b, Math.Min(qk, x.Length - b));
            var amax = 0f;
            foreach (var v in block)
            {
                amax = MathF.Max(amax, MathF.Abs(v));
            }

            var d = amax / 127f;
            var id = amax != 0f ? 127f / amax : 0f;
            var dh = (float)(Half)d;
            for (var j = 0; j < block.Length; j++)
            {
                destination[b + j] = MathF.Round(block[j] * id, MidpointRounding.ToEven) * dh;
            }
        }
    }

    private static void Q8K(ReadOnlySpan<float> x, Span<float> destination)
    {
        const int qk = 256;
        for (var b = 0; b < x.Length; b += qk)
        {
            var block = x.Slice(b, Math.Min(qk, x.Length - b));
            float max = 0, amax = 0;
            foreach (var v in block)
            {
                var ax = MathF.Abs(v);
                if (ax > amax)
                {
                    amax = ax;
                    max = v;
                }
            }

            if (amax == 0)
            {
                destination.Slice(b, block.Length).Clear();
                continue;
            }

            var iscale = -127f / max;
            var d = 1 / iscale;
            for (var j = 0; j < block.Length; j++)
            {
                var q = Math.Min(127, (int)MathF.Round(iscale * block[j], MidpointRounding.ToEven));
                destination[b + j] = d * q;
            }
        }
    }
}
