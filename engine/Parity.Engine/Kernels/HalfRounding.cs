using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

/// <summary>
/// Floats rounded to the nearest half-precision value (ties to even) and widened back: what ggml's F32→F16→F32 does to
/// activations before products with F16 weights, and to K, V, Q and the softmax with an F16 cache. The BCL's
/// <c>(float)(Half)x</c> is exact but scalar software (several nanoseconds a value, milliseconds a token); the vector
/// form rounds the float's mantissa to 10 bits with integer adds, takes the subnormal range by adding and removing
/// 0.5 (whose ulp is the half's subnormal step), and sends |x| ≥ 65520 to infinity.
/// </summary>
public static class HalfRounding
{
    /// <summary>Whether <see cref="Round"/> runs the vector kernel on this machine.</summary>
    public static readonly bool UseVectors = Vector256.IsHardwareAccelerated;

    public static void Round(ReadOnlySpan<float> x, Span<float> destination)
    {
        if (UseVectors)
        {
            RoundVector256(x, destination);
        }
        else
        {
            RoundScalar(x, destination);
        }
    }

    /// <summary>The reference: the BCL's conversion to <see cref="Half"/> and back, one value at a time.</summary>
    public static void RoundScalar(ReadOnlySpan<float> x, Span<float> destination) => Tail(x, destination, 0);

    /// <summary>Eight values at a time with integer adds; the last few through the reference.</summary>
    public static void RoundVector256(ReadOnlySpan<float> x, Span<float> destination)
    {
        var i = 0;
        ref var src = ref MemoryMarshal.GetReference(x);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var smallest = Vector256.Create(6.10351562e-05f); // 2^-14, the smallest normal half
        var overflow = Vector256.Create(65520f); // halfway between the largest half and 2^16: rounds to infinity
        var half = Vector256.Create(0.5f);
        for (; i + 8 <= x.Length; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref src, (nuint)i);
            var a = Vector256.Abs(v);
            var bits = a.AsUInt32();
            var normal = ((bits + Vector256.Create(0xFFFu) + ((bits >> 13) & Vector256.Create(1u))) & Vector256.Create(0xFFFFE000u)).AsSingle();
            var subnormal = (a + half) - half;
            var r = Vector256.ConditionalSelect(Vector256.LessThan(a, smallest), subnormal, normal);
            r = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, overflow), Vector256.Create(float.PositiveInfinity), r);
            r |= v & Vector256.Create(-0f);
            r = Vector256.ConditionalSelect(Vector256.Equals(v, v), r, v); // NaN stays NaN
            r.StoreUnsafe(ref dst, (nuint)i);
        }

        Tail(x, destination, i);
    }

    private static void Tail(ReadOnlySpan<float> x, Span<float> destination, int from)
    {
        for (var i = from; i < x.Length; i++)
        {
            destination[i] = (float)(Half)x[i];
        }
    }
}
