using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's dot products over F16 operands (both already rounded to F16 and widened, so every product is exact in
/// float), in the two orders llama.cpp's AVX-512 build uses for the attention matmuls with an F16 KV cache
/// (docs/ggml-cpu-numerics-facts.md §3-5):
/// <list type="bullet">
/// <item>a batch of two or more tokens goes through tinyBLAS: one 16-lane accumulator, lane i collecting elements
/// ≡ i (mod 16) by FMA in order, then <c>_mm512_reduce_add_ps</c>;</item>
/// <item>a single token goes through <c>ggml_vec_dot_f16</c>: four 16-lane accumulators over steps of 64, combined
/// (s0+s2, s1+s3, then s0+s1), reduced the same way, widened to double and rounded back to float.</item>
/// </list>
/// Elements past <c>length</c> are zeros (llama.cpp pads the KV length to a multiple of 256 and masked cells hold 0),
/// and zero products leave an FMA accumulator unchanged, so only the true length is read.
/// </summary>
public static partial class F16Dot
{
    public static float TinyBlas(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length)
    {
        Span<float> acc = stackalloc float[16];
        acc.Clear();
        var l = 0;
        if (aStride == 1 && System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            // Lanes are independent, so two 8-lane FMAs per 16 elements are the same operations as ggml's one 16-lane FMA.
            var lo = System.Runtime.Intrinsics.Vector256<float>.Zero;
            var hi = System.Runtime.Intrinsics.Vector256<float>.Zero;
            for (; l + 16 <= length; l += 16)
            {
                lo = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(System.Runtime.Intrinsics.Vector256.Create(a.Slice(l, 8)), System.Runtime.Intrinsics.Vector256.Create(b.Slice(l, 8)), lo);
                hi = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(System.Runtime.Intrinsics.Vector256.Create(a.Slice(l + 8, 8)), System.Runtime.Intrinsics.Vector256.Create(b.Slice(l + 8, 8)), hi);
            }

            System.Runtime.Intrinsics.Vector256.CopyTo(lo, acc);
            System.Runtime.Intrinsics.Vector256.CopyTo(hi, acc[8..]);
        }

        for (; l < length; l++)
        {
            acc[l & 15] = MathF.FusedMultiplyAdd(a[l * aStride], b[l], acc[l & 15]);
        }

        return Reduce16(acc);
    }

    public static float VecDot(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length)
    {
        Span<float> acc = stackalloc float[64];
        acc.Clear();
        for (var l = 0; l < length; l++)
        {
            acc[l & 63] = MathF.FusedMultiplyAdd(a[l * aStride], b[l], acc[l & 63]);
        }

        // The sum is a double in ggml_vec_dot_f16; widening a float and rounding back is exact.
        return (float)(double)Combine4x16(acc);
    }

    /// <summary>GGML_F32x16_REDUCE over four 16-lane accumulators: s0 += s2, s1 += s3, s0 += s1, then the 512-bit reduction.</summary>
    internal static float Combine4x16(ReadOnlySpan<float> acc)
    {
        Span<float> s = stackalloc float[16];
        for (var i = 0; i < 16; i++)
        {
            s[i] = (acc[i] + acc[32 + i]) + (acc[16 + i] + acc[48 + i]);
        }

        return Reduce16(s);
    }

    /// <summary><c>_mm512_reduce_add_ps</c>: halves of 8, then 4, then pairs.</summary>
    internal static float Reduce16(ReadOnlySpan<float> v)
    {
        _ = v[15];
        var u0 = (v[0] + v[8]) + (v[4] + v[12]);
        var u1 = (v[1] + v[9]) + (v[5] + v[13]);
        var u2 = (v[2] + v[10]) + (v[6] + v[14]);
        var u3 = (v[3] + v[11]) + (v[7] + v[15]);
        return (u0 + u2) + (u1 + u3);
    }

    /// <summary><see cref="Reduce16(ReadOnlySpan{float})"/> for a 16-lane value held as two 8-lane halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Reduce16(Vector256<float> lo, Vector256<float> hi)
    {
        var t = lo + hi;
        var u = t.GetLower() + t.GetUpper();
        return (u[0] + u[2]) + (u[1] + u[3]);
    }
}
