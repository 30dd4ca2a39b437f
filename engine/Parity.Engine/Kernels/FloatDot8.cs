using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's float dot products as llama.cpp's AVX2 build evaluates them (8 lanes per register where the AVX-512 build
/// has 16; read from that library's disassembly):
/// <list type="bullet">
/// <item>tinyBLAS (<c>tinyBLAS&lt;8, __m256&gt;</c>): one 8-lane FMA accumulator, lane i collecting elements ≡ i (mod 8),
/// then <c>hsum</c>: ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7));</item>
/// <item><c>ggml_vec_dot_f32/f16</c>: four 8-lane accumulators over steps of 32, combined (s0+s2) + (s1+s3), halves
/// added, then two <c>hadd</c>s: (t0+t1) + (t2+t3), another order than tinyBLAS's;</item>
/// <item><c>ggml_vec_dot_bf16</c>: four 8-lane accumulators, (c1+c3) + (c2+c4), then tinyBLAS's <c>hsum</c>.</item>
/// </list>
/// Each has a scalar reference; the vector kernels perform the same float operations in the same order.
/// </summary>
public static class FloatDot8
{
    private const int Lanes = 8;
    private const int Step = 32;

    /// <summary>tinyBLAS's order; elements past <paramref name="length"/> are zeros and add nothing.</summary>
    public static float TinyBlas(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length)
    {
        Span<float> acc = stackalloc float[Lanes];
        acc.Clear();
        var l = 0;
        if (aStride == 1 && Fma.IsSupported)
        {
            var v = Vector256<float>.Zero;
            for (; l + Lanes <= length; l += Lanes)
            {
                v = Fma.MultiplyAdd(Vector256.Create(a.Slice(l, Lanes)), Vector256.Create(b.Slice(l, Lanes)), v);
            }

            v.CopyTo(acc);
        }

        for (; l < length; l++)
        {
            acc[l & 7] = MathF.FusedMultiplyAdd(a[l * aStride], b[l], acc[l & 7]);
        }

        return Hsum(acc);
    }

    /// <summary>
    /// The 32-lane body of <c>ggml_vec_dot_f16/f32</c> over <paramref name="length"/> elements (a multiple of 32, or a
    /// zero-padded attention row), the scalar reference: lane l mod 32 collects its FMAs in order, then the reduction.
    /// </summary>
    public static float VecDot(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length)
    {
        Span<float> acc = stackalloc float[Step];
        acc.Clear();
        for (var l = 0; l < length; l++)
        {
            acc[l & 31] = MathF.FusedMultiplyAdd(a[l * aStride], b[l], acc[l & 31]);
        }

        return Combine4x8(acc);
    }

    /// <summary><c>ggml_vec_dot_f32</c>: the 32-lane body, then the leftovers as the compiler vectorized them.</summary>
    public static float F32(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var np = a.Length & ~(Step - 1);
        var sum = Body(a[..np], b[..np]);

        // Leftovers: 8-wide then one 4-wide block of unfused products added in order, then scalar FMAs.
        var i = np;
        for (var end = np + ((a.Length - np) / 8 * 8); i < end; i++)
        {
            sum += a[i] * b[i];
        }

        if (a.Length - i >= 4)
        {
            for (var end = i + 4; i < end; i++)
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

    /// <summary><c>ggml_vec_dot_f16</c>: the 32-lane body widened to double, the leftovers' products added in double.</summary>
    public static float F16(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var np = a.Length & ~(Step - 1);
        double sum = Body(a[..np], b[..np]);
        for (var i = np; i < a.Length; i++)
        {
            sum += (double)(a[i] * b[i]);
        }

        return (float)sum;
    }

    /// <summary>
    /// <c>ggml_vec_dot_bf16</c>: four 8-lane accumulators over steps of 32 (BF16 products are exact, so fused or not is
    /// the same), (c1+c3) + (c2+c4), tinyBLAS's reduction added to a double 0, the leftovers in double.
    /// </summary>
    public static float Bf16(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var np = a.Length & ~(Step - 1);
        Span<float> acc = stackalloc float[Step];
        acc.Clear();
        for (var i = 0; i < np; i++)
        {
            acc[i & 31] = MathF.FusedMultiplyAdd(a[i], b[i], acc[i & 31]);
        }

        Span<float> s = stackalloc float[Lanes];
        for (var i = 0; i < Lanes; i++)
        {
            s[i] = (acc[i] + acc[16 + i]) + (acc[8 + i] + acc[24 + i]);
        }

        var sum = 0.0 + Hsum(s);
        for (var i = np; i < a.Length; i++)
        {
            sum += (double)(a[i] * b[i]);
        }

        return (float)sum;
    }

    /// <summary>The 32-lane body; vector where FMA is there, else <see cref="VecDot"/>.</summary>
    private static float Body(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (!Fma.IsSupported)
        {
            return VecDot(a, 1, b, a.Length);
        }

        Vector256<float> v0 = default, v1 = default, v2 = default, v3 = default;
        ref var pa = ref MemoryMarshal.GetReference(a);
        ref var pb = ref MemoryMarshal.GetReference(b);
        for (var l = 0; l + Step <= a.Length; l += Step)
        {
            var i = (nuint)l;
            v0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i), Vector256.LoadUnsafe(ref pb, i), v0);
            v1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 8), Vector256.LoadUnsafe(ref pb, i + 8), v1);
            v2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 16), Vector256.LoadUnsafe(ref pb, i + 16), v2);
            v3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 24), Vector256.LoadUnsafe(ref pb, i + 24), v3);
        }

        return HaddReduce((v0 + v2) + (v1 + v3));
    }

    /// <summary>GGML_F32x8_REDUCE over four accumulators held as 32 lanes: (s0+s2) + (s1+s3), then the hadd reduction.</summary>
    private static float Combine4x8(ReadOnlySpan<float> acc)
    {
        Span<float> s = stackalloc float[Lanes];
        for (var i = 0; i < Lanes; i++)
        {
            s[i] = (acc[i] + acc[16 + i]) + (acc[8 + i] + acc[24 + i]);
        }

        return HaddReduce(Vector256.Create<float>(s));
    }

    /// <summary>The vec_dot reduction: t = high half + low half, then two <c>hadd</c>s, (t0+t1) + (t2+t3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HaddReduce(Vector256<float> s)
    {
        var t = s.GetUpper() + s.GetLower();
        return (t[0] + t[1]) + (t[2] + t[3]);
    }

    /// <summary>tinyBLAS's and soft_max's 8-lane <c>hsum</c>: ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7)).</summary>
    public static float Hsum(ReadOnlySpan<float> v)
    {
        var t0 = v[0] + v[4];
        var t1 = v[1] + v[5];
        var t2 = v[2] + v[6];
        var t3 = v[3] + v[7];
        return (t0 + t2) + (t1 + t3);
    }
}
