using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

/// <summary>
/// The value side of <see cref="FlashAttention.Accumulate"/>'s vector kernel, over a block of cells whose weights
/// <c>vs_j</c> and rescale factors <c>ms_j</c> are known: per cell in order, the accumulator times <c>ms_j</c> (skipped
/// when it is 1, which changes nothing) and then <c>fma(V_j, vs_j, acc)</c>, each rounded to half for ggml's F16 V
/// path (<c>VKQ16</c>). The accumulator stays in registers across the block, up to 64 values at a time; each value's
/// operations are those of <see cref="FlashAttention.AccumulateScalar"/>.
/// </summary>
internal static class FlashAttentionValues
{
    /// <param name="values">V_j at <c>values[j * stride ..]</c> for cell j of the block.</param>
    public static void Accumulate(Span<float> acc, ReadOnlySpan<float> values, int stride, ReadOnlySpan<float> weights, ReadOnlySpan<float> rescales, bool half)
    {
        var cells = weights.Length;
        if (cells == 0)
        {
            return;
        }

        _ = values[((cells - 1) * stride) + acc.Length - 1];
        _ = rescales[cells - 1];
        var d = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; d + (4 * Vector512<float>.Count) <= acc.Length; d += 4 * Vector512<float>.Count)
            {
                Columns512x4(acc, values, stride, weights, rescales, half, d);
            }
        }

        for (; d + Vector256<float>.Count <= acc.Length; d += Vector256<float>.Count)
        {
            Columns256(acc, values, stride, weights, rescales, half, d);
        }

        for (; d < acc.Length; d++)
        {
            var x = acc[d];
            for (var j = 0; j < cells; j++)
            {
                if (rescales[j] != 1.0f)
                {
                    x = Round(x * rescales[j], half);
                }

                x = Round(MathF.FusedMultiplyAdd(values[(j * stride) + d], weights[j], x), half);
            }

            acc[d] = x;
        }
    }

    private static void Columns512x4(Span<float> acc, ReadOnlySpan<float> values, int stride, ReadOnlySpan<float> weights, ReadOnlySpan<float> rescales, bool half, int d)
    {
        const int W = 16;
        ref var a = ref MemoryMarshal.GetReference(acc);
        ref var v = ref MemoryMarshal.GetReference(values);
        var a0 = Vector512.LoadUnsafe(ref a, (nuint)d);
        var a1 = Vector512.LoadUnsafe(ref a, (nuint)(d + W));
        var a2 = Vector512.LoadUnsafe(ref a, (nuint)(d + (2 * W)));
        var a3 = Vector512.LoadUnsafe(ref a, (nuint)(d + (3 * W)));
        for (var j = 0; j < weights.Length; j++)
        {
            if (rescales[j] != 1.0f)
            {
                var f = Vector512.Create(rescales[j]);
                (a0, a1, a2, a3) = (Round(a0 * f, half), Round(a1 * f, half), Round(a2 * f, half), Round(a3 * f, half));
            }

            var w = Vector512.Create(weights[j]);
            var i = (nuint)((j * stride) + d);
            a0 = Round(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i), w, a0), half);
            a1 = Round(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i + W), w, a1), half);
            a2 = Round(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i + (2 * W)), w, a2), half);
            a3 = Round(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, i + (3 * W)), w, a3), half);
        }

        a0.StoreUnsafe(ref a, (nuint)d);
        a1.StoreUnsafe(ref a, (nuint)(d + W));
        a2.StoreUnsafe(ref a, (nuint)(d + (2 * W)));
        a3.StoreUnsafe(ref a, (nuint)(d + (3 * W)));
    }

    private static void Columns256(Span<float> acc, ReadOnlySpan<float> values, int stride, ReadOnlySpan<float> weights, ReadOnlySpan<float> rescales, bool half, int d)
    {
        ref var a = ref MemoryMarshal.GetReference(acc);
        ref var v = ref MemoryMarshal.GetReference(values);
        var a0 = Vector256.LoadUnsafe(ref a, (nuint)d);
        for (var j = 0; j < weights.Length; j++)
        {
            if (rescales[j] != 1.0f)
            {
                a0 = Round(a0 * Vector256.Create(rescales[j]), half);
            }

            a0 = Round(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, (nuint)((j * stride) + d)), Vector256.Create(weights[j]), a0), half);
        }

        a0.StoreUnsafe(ref a, (nuint)d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Round(Vector512<float> x, bool half) => half ? HalfRounding.Round(x) : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Round(Vector256<float> x, bool half) => half ? HalfRounding.Round(x) : x;

    private static float Round(float x, bool half) => half ? (float)(Half)x : x;
}
