namespace Parity.Engine.Kernels;

/// <summary>
/// The activation rounding ggml's CPU backend applies before a product with a weight type (its <c>vec_dot_type</c>;
/// the table's <see cref="GgmlTypeTraits.Round"/> names the kernel per type),
/// done as quantize-then-dequantize so the engine's float dot product sees exactly the values ggml's integer or half
/// dot product uses. The quantizers follow ggml's: Q8_0/Q8_1 blocks of 32 with d = amax/127 (stored as F16) and
/// round-half-to-even of x * 127/amax (the x86 path); Q8_K blocks of 256 with iscale = -127/max taken from the
/// element of largest magnitude, round-half-to-even, clamp at 127, d = 1/iscale (kept in F32).
/// </summary>
public static class ActivationRounding
{
    /// <summary>BF16 activations: each value rounded to bfloat16 (round half to even), then widened back.</summary>
    public static void Bf16(ReadOnlySpan<float> x, Span<float> destination)
    {
        for (var i = 0; i < x.Length; i++)
        {
            destination[i] = ToBf16(x[i]);
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

    /// <summary>Q8_0 and Q8_1 activations: blocks of 32 quantized to int8 with an F16 scale, then widened back.</summary>
    public static void Q8Blocks(ReadOnlySpan<float> x, Span<float> destination)
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

    /// <summary>Q8_K activations: blocks of 256 quantized to int8 with an F32 scale, then widened back.</summary>
    public static void Q8K(ReadOnlySpan<float> x, Span<float> destination)
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
