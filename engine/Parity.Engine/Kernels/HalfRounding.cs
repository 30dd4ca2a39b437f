using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

/// <summary>
/// Floats rounded to the nearest half-precision value (ties to even) and widened back: what ggml's F32→F16→F32 does to
/// activations before products with F16 weights, and to K, V, Q and the softmax with an F16 cache. The BCL's
/// <c>(float)(Half)x</c> is exact but scalar software (several nanoseconds a value, milliseconds a token); the vector
/// form adds and removes a power of two whose ulp is the half's at the value's exponent (at least 0.5, whose ulp is the
/// half's subnormal step), so the float adder rounds, and sends |x| ≥ 65520 to infinity.
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
        for (; i + 8 <= x.Length; i += 8)
        {
            Round(Vector256.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        }

        Tail(x, destination, i);
    }

    /// <summary>
    /// Eight floats rounded to half precision and widened back, as <see cref="RoundScalar"/> rounds each: |x| + c − c
    /// with c = 2^(e+13) for |x| in [2^e, 2^(e+1)), so the sum's ulp is the half's and the float add rounds to nearest
    /// even at that bit; c is at least 0.5, whose ulp is the half's subnormal step; |x| ≥ 65520 gives infinity, NaN
    /// stays NaN, and the sign is put back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> x)
    {
        var a = Vector256.Abs(x);
        var c = Vector256.Max((a.AsInt32() & Vector256.Create(0x7F800000)) + Vector256.Create(13 << 23), Vector256.Create(0x3F000000)).AsSingle();
        var r = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256.Create(65520f)), Vector256.Create(float.PositiveInfinity), (a + c) - c);
        return Vector256.ConditionalSelect(Vector256.Create(-0f), x, r);
    }

    /// <summary><see cref="Round(Vector256{float})"/> for sixteen floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> x)
    {
        var a = Vector512.Abs(x);
        var c = Vector512.Max((a.AsInt32() & Vector512.Create(0x7F800000)) + Vector512.Create(13 << 23), Vector512.Create(0x3F000000)).AsSingle();
        var r = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512.Create(65520f)), Vector512.Create(float.PositiveInfinity), (a + c) - c);
        return Vector512.ConditionalSelect(Vector512.Create(-0f), x, r);
    }

    /// <summary>Sixteen values at a time (the accumulator kernels' width where the hardware has it); the last few through the reference.</summary>
    public static void RoundVector512(ReadOnlySpan<float> x, Span<float> destination)
    {
        var i = 0;
        ref var src = ref MemoryMarshal.GetReference(x);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        for (; i + 16 <= x.Length; i += 16)
        {
            Round(Vector512.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
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
