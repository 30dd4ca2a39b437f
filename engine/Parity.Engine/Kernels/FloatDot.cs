namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's single-token dot products for F32, F16 and BF16 weights as the AVX-512 build evaluates them
/// (<c>ggml_vec_dot_f32/f16/bf16</c>, docs/ggml-cpu-numerics-facts.md §4); batches go through tinyBLAS
/// (<see cref="F16Dot.TinyBlas"/>: one 16-lane FMA accumulator and a 512-bit reduction, the same for all three).
/// Operands are floats already holding the F16/BF16 values (activations rounded as ggml converts them).
/// </summary>
public static class FloatDot
{
    /// <summary>
    /// <c>ggml_vec_dot_f32</c>: four 16-lane FMA accumulators over steps of 64, combined and reduced in float; the tail
    /// as products then sequential float adds (the pinned build vectorizes the multiplies and does not fuse them).
    /// </summary>
    public static float F32(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var np = a.Length & ~63;
        var sum = Reduce4x16(a[..np], b[..np]);

        // The leftovers as the compiler vectorized `sumf += x[i]*y[i]`: 16-wide then 8-wide blocks of unfused products
        // added in order, then a scalar epilogue contracted into FMAs (matched against ggml's vec_dot for 44 leftovers).
        var i = np;
        for (var end = np + ((a.Length - np) / 16 * 16); i < end; i++)
        {
            sum += a[i] * b[i];
        }

        if (a.Length - i >= 8)
        {
            for (var end = i + 8; i < end; i++)
            {
                sum += a[i] * b[i];
            }
        }

        for (; i < a.Length; i++)
        {
            sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        }

        return sum;
    }

    /// <summary><c>ggml_vec_dot_f16</c>: the same four accumulators, the reduction widened to double, the tail in double.</summary>
    public static float F16(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var np = a.Length & ~63;
        double sum = Reduce4x16(a[..np], b[..np]);
        for (var i = np; i < a.Length; i++)
        {
            sum += (double)(a[i] * b[i]);
        }

        return (float)sum;
    }

    /// <summary><c>ggml_vec_dot_bf16</c> (AVX-512F without BF16): two 16-lane accumulators per 32 elements, each reduced into a double, the tail in double.</summary>
    public static float Bf16(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var np = a.Length & ~31;
        Span<float> c1 = stackalloc float[16];
        Span<float> c2 = stackalloc float[16];
        c1.Clear();
        c2.Clear();
        for (var i = 0; i < np; i += 32)
        {
            for (var l = 0; l < 16; l++)
            {
                c1[l] += a[i + l] * b[i + l];
                c2[l] += a[i + 16 + l] * b[i + 16 + l];
            }
        }

        double sum = F16Dot.Reduce16(c1);
        sum += F16Dot.Reduce16(c2);
        for (var i = np; i < a.Length; i++)
        {
            sum += (double)(a[i] * b[i]);
        }

        return (float)sum;
    }

    private static float Reduce4x16(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Span<float> acc = stackalloc float[64];
        acc.Clear();
        var l = 0;
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            // The 64 lanes as eight 8-lane vectors: each lane sees the same FMAs in the same order as ggml's.
            Span<System.Runtime.Intrinsics.Vector256<float>> v = stackalloc System.Runtime.Intrinsics.Vector256<float>[8];
            for (; l + 64 <= a.Length; l += 64)
            {
                for (var q = 0; q < 8; q++)
                {
                    v[q] = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(
                        System.Runtime.Intrinsics.Vector256.Create(a.Slice(l + (8 * q), 8)),
                        System.Runtime.Intrinsics.Vector256.Create(b.Slice(l + (8 * q), 8)),
                        v[q]);
                }
            }

            for (var q = 0; q < 8; q++)
            {
                System.Runtime.Intrinsics.Vector256.CopyTo(v[q], acc.Slice(8 * q, 8));
            }
        }

        for (; l < a.Length; l++)
        {
            acc[l & 63] = MathF.FusedMultiplyAdd(a[l], b[l], acc[l & 63]);
        }

        return F16Dot.Combine4x16(acc);
    }
}
