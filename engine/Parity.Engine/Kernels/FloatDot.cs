using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    /// <summary>
    /// <see cref="F16"/> of one query against many keys, <paramref name="dots"/>[j] for the key at
    /// <c>keys[j * stride ..]</c>, bit for bit as the per-key calls: the query is read once into registers, each key's
    /// four accumulators combined and reduced in vector registers.
    /// </summary>
    /// <returns>False, with nothing written, for a length that is not 64 or 128 or a machine without 512-bit vectors.</returns>
    public static bool TryF16Keys(ReadOnlySpan<float> keys, int stride, ReadOnlySpan<float> q, Span<float> dots)
    {
        var length = q.Length;
        if (length is not (64 or 128) || !Vector512.IsHardwareAccelerated)
        {
            return false;
        }

        if (dots.IsEmpty)
        {
            return true;
        }

        _ = keys[((dots.Length - 1) * stride) + length - 1];
        ref var k = ref MemoryMarshal.GetReference(keys);
        ref var y = ref MemoryMarshal.GetReference(q);
        var (y0, y1, y2, y3) = (Vector512.LoadUnsafe(ref y), Vector512.LoadUnsafe(ref y, 16), Vector512.LoadUnsafe(ref y, 32), Vector512.LoadUnsafe(ref y, 48));
        var steps = length / 64;
        var (z0, z1, z2, z3) = steps == 2
            ? (Vector512.LoadUnsafe(ref y, 64), Vector512.LoadUnsafe(ref y, 80), Vector512.LoadUnsafe(ref y, 96), Vector512.LoadUnsafe(ref y, 112))
            : default;
        for (var j = 0; j < dots.Length; j++)
        {
            var at = (nuint)(j * stride);
            var s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref k, at), y0, Vector512<float>.Zero);
            var s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref k, at + 16), y1, Vector512<float>.Zero);
            var s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref k, at + 32), y2, Vector512<float>.Zero);
            var s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref k, at + 48), y3, Vector512<float>.Zero);
            if (steps == 2)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref k, at + 64), z0, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref k, at + 80), z1, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref k, at + 96), z2, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref k, at + 112), z3, s3);
            }

            // s0 += s2, s1 += s3, s0 += s1, then _mm512_reduce_add_ps: halves of 8, of 4, then pairs.
            var x = (s0 + s2) + (s1 + s3);
            var t = x.GetLower() + x.GetUpper();
            var u = t.GetLower() + t.GetUpper();
            var v = u + Vector128.Shuffle(u, Vector128.Create(2, 3, 0, 1));
            dots[j] = v.ToScalar() + v.GetElement(1);
        }

        return true;
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

    /// <summary>The 64-lane body of ggml's F32/F16 dots; <paramref name="a"/>'s length is a multiple of 64.</summary>
    private static float Reduce4x16(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (!Fma.IsSupported)
        {
            // The reference: lane l mod 64 collects its FMAs in order, then ggml's combine and reduction.
            return F16Dot.VecDot(a, 1, b, a.Length);
        }

        // The 64 lanes as eight 8-lane accumulators held in registers: each lane sees ggml's FMAs in ggml's order.
        Vector256<float> v0 = default, v1 = default, v2 = default, v3 = default, v4 = default, v5 = default, v6 = default, v7 = default;
        ref var pa = ref MemoryMarshal.GetReference(a);
        ref var pb = ref MemoryMarshal.GetReference(b);
        for (var l = 0; l + 64 <= a.Length; l += 64)
        {
            var i = (nuint)l;
            v0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i), Vector256.LoadUnsafe(ref pb, i), v0);
            v1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 8), Vector256.LoadUnsafe(ref pb, i + 8), v1);
            v2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 16), Vector256.LoadUnsafe(ref pb, i + 16), v2);
            v3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 24), Vector256.LoadUnsafe(ref pb, i + 24), v3);
            v4 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 32), Vector256.LoadUnsafe(ref pb, i + 32), v4);
            v5 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 40), Vector256.LoadUnsafe(ref pb, i + 40), v5);
            v6 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 48), Vector256.LoadUnsafe(ref pb, i + 48), v6);
            v7 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref pa, i + 56), Vector256.LoadUnsafe(ref pb, i + 56), v7);
        }

        // s0 += s2, s1 += s3, s0 += s1 per 16-lane accumulator (v0|v1 is s0, v2|v3 is s1, ...), then the reduction.
        return F16Dot.Reduce16((v0 + v4) + (v2 + v6), (v1 + v5) + (v3 + v7));
    }
}
