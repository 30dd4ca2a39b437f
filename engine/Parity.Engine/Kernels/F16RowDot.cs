using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

/// <summary>
/// <c>ggml_vec_dot_f16</c> straight from an F16 weight row: each group of halves is widened to floats in registers
/// and fed to the FMA, so the row is read once instead of converted to a buffer and read again (a single token's
/// products are memory-bound; the two-pass form reached 9 GB/s, a third of the machine's bandwidth). The result is
/// <see cref="FloatDot.F16"/> of the converted row, bit for bit: the same 64 lanes, the same FMAs in the same order,
/// the same combine. The conversion: the half sign-extended to 32 bits and shifted left by 13 has its sign copies, exponent
/// and mantissa where a float keeps them; a mask clears the copies between sign and exponent, and a multiply by 2^112 rebiases the exponent (exact for normal and
/// subnormal halves). Infinities and NaNs would come out finite, so a row holding one takes the two-pass path.
/// </summary>
public static class F16RowDot
{
    private const uint FieldMask = 0x8FFFE000u;
    private const uint ExponentField = 0x0F800000u; // the half's exponent after the shift: all ones is inf/NaN
    private const uint Scale = 0x77800000u; // 2^112

    /// <summary>Whether a vector kernel runs (tests switch it off to reach the two-pass reference).</summary>
    public static bool UseVectors { get; set; } = Fma.IsSupported && Avx2.IsSupported;

    /// <summary>Whether the vector kernel is the 512-bit one (tests switch it off to reach the 256-bit one).</summary>
    public static bool Use512 { get; set; } = Avx512F.IsSupported;

    /// <summary>The dot of an F16 row (<paramref name="row"/>, 2 bytes per element) with <paramref name="x"/>.</summary>
    public static float Dot(ReadOnlySpan<byte> row, ReadOnlySpan<float> x, Span<float> scratch)
    {
        var n = x.Length;
        var np = n & ~63;
        if (UseVectors && np > 0)
        {
            var halves = MemoryMarshal.Cast<byte, ushort>(row);
            var fused = Use512 ? Fused512(halves[..np], x[..np]) : Fused256(halves[..np], x[..np]);
            if (fused is { } sum)
            {
                double total = sum;
                for (var i = np; i < n; i++)
                {
                    total += (double)((float)BitConverter.UInt16BitsToHalf(halves[i]) * x[i]);
                }

                return (float)total;
            }
        }

        Dequantize.Row(Parity.Gguf.GgmlType.F16, row, scratch[..n]);
        return FloatDot.F16(scratch[..n], x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float? Fused512(ReadOnlySpan<ushort> halves, ReadOnlySpan<float> x)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        var special = Vector512<uint>.Zero;
        var mask = Vector512.Create(FieldMask);
        var exponent = Vector512.Create(ExponentField);
        var scale = Vector512.Create(Scale).AsSingle();
        fixed (ushort* h = halves)
        fixed (float* y = x)
        {
            for (var i = 0; i < halves.Length; i += 64)
            {
                var a0 = Widen512(h + i, mask);
                var a1 = Widen512(h + i + 16, mask);
                var a2 = Widen512(h + i + 32, mask);
                var a3 = Widen512(h + i + 48, mask);
                special = Vector512.Max(Vector512.Max(special, a0 & exponent), Vector512.Max(a1 & exponent, Vector512.Max(a2 & exponent, a3 & exponent)));
                s0 = Avx512F.FusedMultiplyAdd(a0.AsSingle() * scale, Avx512F.LoadVector512(y + i), s0);
                s1 = Avx512F.FusedMultiplyAdd(a1.AsSingle() * scale, Avx512F.LoadVector512(y + i + 16), s1);
                s2 = Avx512F.FusedMultiplyAdd(a2.AsSingle() * scale, Avx512F.LoadVector512(y + i + 32), s2);
                s3 = Avx512F.FusedMultiplyAdd(a3.AsSingle() * scale, Avx512F.LoadVector512(y + i + 48), s3);
            }
        }

        if (Vector512.EqualsAny(special, exponent))
        {
            return null;
        }

        var s = (s0 + s2) + (s1 + s3);
        return F16Dot.Reduce16(s.GetLower(), s.GetUpper());
    }

    /// <summary>16 halves as float bit patterns before the 2^112 rebias (sign, exponent, mantissa in place).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<uint> Widen512(ushort* h, Vector512<uint> mask) =>
        Vector512.ShiftLeft(Avx512F.ConvertToVector512Int32(Avx.LoadVector256((short*)h)), 13).AsUInt32() & mask;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float? Fused256(ReadOnlySpan<ushort> halves, ReadOnlySpan<float> x)
    {
        Vector256<float> v0 = default, v1 = default, v2 = default, v3 = default, v4 = default, v5 = default, v6 = default, v7 = default;
        var special = Vector256<uint>.Zero;
        var mask = Vector256.Create(FieldMask);
        var exponent = Vector256.Create(ExponentField);
        var scale = Vector256.Create(Scale).AsSingle();
        fixed (ushort* h = halves)
        fixed (float* y = x)
        {
            for (var i = 0; i < halves.Length; i += 64)
            {
                var b9 = Widen256(h + i, mask);
                special = Vector256.Max(special, b9 & exponent);
                v0 = Fma.MultiplyAdd(b9.AsSingle() * scale, Avx.LoadVector256(y + i), v0);
                var b10 = Widen256(h + i + 8, mask);
                special = Vector256.Max(special, b10 & exponent);
                v1 = Fma.MultiplyAdd(b10.AsSingle() * scale, Avx.LoadVector256(y + i + 8), v1);
                var b11 = Widen256(h + i + 16, mask);
                special = Vector256.Max(special, b11 & exponent);
                v2 = Fma.MultiplyAdd(b11.AsSingle() * scale, Avx.LoadVector256(y + i + 16), v2);
                var b12 = Widen256(h + i + 24, mask);
                special = Vector256.Max(special, b12 & exponent);
                v3 = Fma.MultiplyAdd(b12.AsSingle() * scale, Avx.LoadVector256(y + i + 24), v3);
                var b13 = Widen256(h + i + 32, mask);
                special = Vector256.Max(special, b13 & exponent);
                v4 = Fma.MultiplyAdd(b13.AsSingle() * scale, Avx.LoadVector256(y + i + 32), v4);
                var b14 = Widen256(h + i + 40, mask);
                special = Vector256.Max(special, b14 & exponent);
                v5 = Fma.MultiplyAdd(b14.AsSingle() * scale, Avx.LoadVector256(y + i + 40), v5);
                var b15 = Widen256(h + i + 48, mask);
                special = Vector256.Max(special, b15 & exponent);
                v6 = Fma.MultiplyAdd(b15.AsSingle() * scale, Avx.LoadVector256(y + i + 48), v6);
                var b16 = Widen256(h + i + 56, mask);
                special = Vector256.Max(special, b16 & exponent);
                v7 = Fma.MultiplyAdd(b16.AsSingle() * scale, Avx.LoadVector256(y + i + 56), v7);
            }
        }

        if (Vector256.EqualsAny(special, exponent))
        {
            return null;
        }

        return F16Dot.Reduce16((v0 + v4) + (v2 + v6), (v1 + v5) + (v3 + v7));
    }

    /// <summary>8 halves as float bit patterns before the 2^112 rebias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<uint> Widen256(ushort* h, Vector256<uint> mask) =>
        Vector256.ShiftLeft(Avx2.ConvertToVector256Int32((short*)h), 13).AsUInt32() & mask;
}
