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
/// the same combine. The conversion: a half sign-extended to 32 bits and shifted left by 13 has sign, exponent and
/// mantissa where a float keeps them once a mask clears the sign's copies; that float is the half times 2^-112 (exact
/// for normal and subnormal halves), and x comes pre-multiplied by 2^112 (see <see cref="Dot"/>). Infinities and NaNs
/// would come out finite, so a row holding one takes the two-pass path.
/// </summary>
public static class F16RowDot
{
    private const uint FieldMask = 0x8FFFE000u;
    private const uint Scale = 0x77800000u; // 2^112

    // Software prefetch into L2, this far ahead of the loads (in halves). The hardware's L2 streamer does not cross a 4
    // KiB page, and a 2048-column F16 row is exactly one page, so without help every row starts with a stall. Measured
    // on the 1.1B shape's F16 generation with 1 thread (tok/s medians of 12 interleaved runs): none 8.0, one row's
    // stream 8 KiB ahead 8.8, plus the four-row kernel's streams 2 KiB ahead 9.2-9.6 (4-16 KiB ahead all within noise);
    // 4 KiB ahead (the same offset in the next page) and L1 prefetches were slower; 2 threads unchanged.
    private const int PrefetchAhead = 4096;
    private const int PrefetchAhead4 = 1024;

    /// <summary>Whether this machine runs a fused kernel (<see cref="Dot256"/>); otherwise <see cref="Dot"/> is the two-pass reference.</summary>
    public static readonly bool UseVectors = Fma.IsSupported && Avx2.IsSupported;

    /// <summary>Whether this machine runs the 512-bit kernels (<see cref="Dot512"/>, <see cref="Dot4"/>).</summary>
    public static readonly bool Use512 = UseVectors && Avx512F.IsSupported;

    /// <summary>x·2^112 into <paramref name="scaled"/>: the form <see cref="Dot"/> takes x in (exact for any finite half value).</summary>
    public static void ScaleX(ReadOnlySpan<float> x, Span<float> scaled) =>
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, BitConverter.UInt32BitsToSingle(Scale), scaled);

    /// <summary>
    /// The dot of an F16 row (<paramref name="row"/>, 2 bytes per element) with <paramref name="x"/>, given also as
    /// <paramref name="xScaled"/> (<see cref="ScaleX"/>). The kernel leaves each weight 2^112 too small (the rebias
    /// multiply is skipped) and takes x 2^112 too large: an FMA rounds only the sum, never the product, so
    /// fma(a·2^-112, x·2^112, acc) is fma(a, x, acc) exactly, and one multiply per vector is saved.
    /// </summary>
    /// <param name="rowsFinite">The caller knows the row holds no infinity or NaN (<see cref="AllFinite"/>), so the
    /// kernel skips looking for them.</param>
    public static float Dot(ReadOnlySpan<byte> row, ReadOnlySpan<float> x, ReadOnlySpan<float> xScaled, Span<float> scratch, bool rowsFinite = false) =>
        !UseVectors ? DotTwoPass(row, x, scratch)
        : Use512 ? Dot512(row, x, xScaled, scratch, rowsFinite)
        : Dot256(row, x, xScaled, scratch, rowsFinite);

    /// <summary>The reference <see cref="Dot"/> matches: the row converted into <paramref name="scratch"/>, then <see cref="FloatDot.F16"/>.</summary>
    public static float DotTwoPass(ReadOnlySpan<byte> row, ReadOnlySpan<float> x, Span<float> scratch)
    {
        var n = x.Length;
        Dequantize.F16Vector(row, scratch[..n]); // exact at any width, like the scalar conversion
        return FloatDot.F16(scratch[..n], x);
    }

    /// <summary><see cref="Dot"/> with 512-bit vectors (needs AVX-512F; see <see cref="Use512"/>).</summary>
    public static float Dot512(ReadOnlySpan<byte> row, ReadOnlySpan<float> x, ReadOnlySpan<float> xScaled, Span<float> scratch, bool rowsFinite = false)
    {
        var np = x.Length & ~63;
        if (np == 0)
        {
            return DotTwoPass(row, x, scratch);
        }

        var halves = MemoryMarshal.Cast<byte, ushort>(row);
        var fused = rowsFinite ? Fused512<FiniteRows>(halves[..np], xScaled[..np]) : Fused512<CheckedRows>(halves[..np], xScaled[..np]);
        return fused is { } sum ? WithTail(sum, halves, x, np) : DotTwoPass(row, x, scratch);
    }

    /// <summary><see cref="Dot"/> with 256-bit vectors (needs AVX2 and FMA; see <see cref="UseVectors"/>).</summary>
    public static float Dot256(ReadOnlySpan<byte> row, ReadOnlySpan<float> x, ReadOnlySpan<float> xScaled, Span<float> scratch, bool rowsFinite = false)
    {
        var np = x.Length & ~63;
        if (np == 0)
        {
            return DotTwoPass(row, x, scratch);
        }

        var halves = MemoryMarshal.Cast<byte, ushort>(row);
        var fused = rowsFinite ? Fused256<FiniteRows>(halves[..np], xScaled[..np]) : Fused256<CheckedRows>(halves[..np], xScaled[..np]);
        return fused is { } sum ? WithTail(sum, halves, x, np) : DotTwoPass(row, x, scratch);
    }

    /// <summary>ggml's tail past the last 64 elements: products summed in double onto the vector sum.</summary>
    private static float WithTail(float sum, ReadOnlySpan<ushort> halves, ReadOnlySpan<float> x, int np)
    {
        double total = sum;
        for (var i = np; i < x.Length; i++)
        {
            total += (double)((float)BitConverter.UInt16BitsToHalf(halves[i]) * x[i]);
        }

        return (float)total;
    }

    /// <summary>
    /// Four rows (<paramref name="stride"/> bytes apart, each <paramref name="n"/> halves, a multiple of 64) against
    /// the same scaled x, each row with <see cref="Dot"/>'s bits; false (and nothing written) when a row holds an
    /// infinity or NaN. For long rows: x then streams from L2 once per four rows instead of once per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe bool Dot4(byte* row, long stride, float* xScaled, int n, Span<float> results, bool rowsFinite = false) =>
        rowsFinite ? Dot4<FiniteRows>(row, stride, xScaled, n, results) : Dot4<CheckedRows>(row, stride, xScaled, n, results);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool Dot4<TRows>(byte* row, long stride, float* xScaled, int n, Span<float> results)
        where TRows : struct, IRowCheck
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        var special = Vector512<ushort>.Zero;
        var exponent = Vector512.Create((ushort)0x7c00);
        var mask = Vector512.Create(FieldMask);
        var h0 = (ushort*)row;
        var h1 = (ushort*)(row + stride);
        var h2 = (ushort*)(row + (2 * stride));
        var h3 = (ushort*)(row + (3 * stride));
        for (var i = 0; i < n; i += 64)
        {
            Sse.Prefetch2(h0 + i + PrefetchAhead4);
            Sse.Prefetch2(h0 + i + PrefetchAhead4 + 32);
            Sse.Prefetch2(h1 + i + PrefetchAhead4);
            Sse.Prefetch2(h1 + i + PrefetchAhead4 + 32);
            Sse.Prefetch2(h2 + i + PrefetchAhead4);
            Sse.Prefetch2(h2 + i + PrefetchAhead4 + 32);
            Sse.Prefetch2(h3 + i + PrefetchAhead4);
            Sse.Prefetch2(h3 + i + PrefetchAhead4 + 32);

            if (TRows.Check)
            {
                special = Vector512.Max(special, Vector512.Max(
                    Vector512.Max(Vector512.Load(h0 + i) & exponent, Vector512.Load(h0 + i + 32) & exponent),
                    Vector512.Max(Vector512.Load(h1 + i) & exponent, Vector512.Load(h1 + i + 32) & exponent)));
                special = Vector512.Max(special, Vector512.Max(
                    Vector512.Max(Vector512.Load(h2 + i) & exponent, Vector512.Load(h2 + i + 32) & exponent),
                    Vector512.Max(Vector512.Load(h3 + i) & exponent, Vector512.Load(h3 + i + 32) & exponent)));
            }
            var y = Avx512F.LoadVector512(xScaled + i);
            a0 = Avx512F.FusedMultiplyAdd(Widen512(h0 + i, mask).AsSingle(), y, a0);
            b0 = Avx512F.FusedMultiplyAdd(Widen512(h1 + i, mask).AsSingle(), y, b0);
            c0 = Avx512F.FusedMultiplyAdd(Widen512(h2 + i, mask).AsSingle(), y, c0);
            d0 = Avx512F.FusedMultiplyAdd(Widen512(h3 + i, mask).AsSingle(), y, d0);
            y = Avx512F.LoadVector512(xScaled + i + 16);
            a1 = Avx512F.FusedMultiplyAdd(Widen512(h0 + i + 16, mask).AsSingle(), y, a1);
            b1 = Avx512F.FusedMultiplyAdd(Widen512(h1 + i + 16, mask).AsSingle(), y, b1);
            c1 = Avx512F.FusedMultiplyAdd(Widen512(h2 + i + 16, mask).AsSingle(), y, c1);
            d1 = Avx512F.FusedMultiplyAdd(Widen512(h3 + i + 16, mask).AsSingle(), y, d1);
            y = Avx512F.LoadVector512(xScaled + i + 32);
            a2 = Avx512F.FusedMultiplyAdd(Widen512(h0 + i + 32, mask).AsSingle(), y, a2);
            b2 = Avx512F.FusedMultiplyAdd(Widen512(h1 + i + 32, mask).AsSingle(), y, b2);
            c2 = Avx512F.FusedMultiplyAdd(Widen512(h2 + i + 32, mask).AsSingle(), y, c2);
            d2 = Avx512F.FusedMultiplyAdd(Widen512(h3 + i + 32, mask).AsSingle(), y, d2);
            y = Avx512F.LoadVector512(xScaled + i + 48);
            a3 = Avx512F.FusedMultiplyAdd(Widen512(h0 + i + 48, mask).AsSingle(), y, a3);
            b3 = Avx512F.FusedMultiplyAdd(Widen512(h1 + i + 48, mask).AsSingle(), y, b3);
            c3 = Avx512F.FusedMultiplyAdd(Widen512(h2 + i + 48, mask).AsSingle(), y, c3);
            d3 = Avx512F.FusedMultiplyAdd(Widen512(h3 + i + 48, mask).AsSingle(), y, d3);
        }

        if (Vector512.EqualsAny(special, exponent))
        {
            return false;
        }

        var sa = (a0 + a2) + (a1 + a3);
        var sb = (b0 + b2) + (b1 + b3);
        var sc = (c0 + c2) + (c1 + c3);
        var sd = (d0 + d2) + (d1 + d3);
        results[0] = (float)(double)F16Dot.Reduce16(sa.GetLower(), sa.GetUpper());
        results[1] = (float)(double)F16Dot.Reduce16(sb.GetLower(), sb.GetUpper());
        results[2] = (float)(double)F16Dot.Reduce16(sc.GetLower(), sc.GetUpper());
        results[3] = (float)(double)F16Dot.Reduce16(sd.GetLower(), sd.GetUpper());
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float? Fused512<TRows>(ReadOnlySpan<ushort> halves, ReadOnlySpan<float> xScaled)
        where TRows : struct, IRowCheck
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        var special = Vector512<ushort>.Zero;
        var exponent = Vector512.Create((ushort)0x7c00);
        var mask = Vector512.Create(FieldMask);
        fixed (ushort* h = halves)
        fixed (float* y = xScaled)
        {
            for (var i = 0; i < halves.Length; i += 64)
            {
                Sse.Prefetch2(h + i + PrefetchAhead);
                Sse.Prefetch2(h + i + PrefetchAhead + 32);

                if (TRows.Check)
                {
                    // Infinities and NaNs: the raw halves' exponent bits, 32 at a time.
                    special = Vector512.Max(special, Vector512.Max(Vector512.Load(h + i) & exponent, Vector512.Load(h + i + 32) & exponent));
                }
                s0 = Avx512F.FusedMultiplyAdd(Widen512(h + i, mask).AsSingle(), Avx512F.LoadVector512(y + i), s0);
                s1 = Avx512F.FusedMultiplyAdd(Widen512(h + i + 16, mask).AsSingle(), Avx512F.LoadVector512(y + i + 16), s1);
                s2 = Avx512F.FusedMultiplyAdd(Widen512(h + i + 32, mask).AsSingle(), Avx512F.LoadVector512(y + i + 32), s2);
                s3 = Avx512F.FusedMultiplyAdd(Widen512(h + i + 48, mask).AsSingle(), Avx512F.LoadVector512(y + i + 48), s3);
            }
        }

        if (Vector512.EqualsAny(special, exponent))
        {
            return null;
        }

        var s = (s0 + s2) + (s1 + s3);
        return F16Dot.Reduce16(s.GetLower(), s.GetUpper());
    }

    /// <summary>16 halves as floats 2^112 too small (sign, exponent and mantissa in a float's places).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<uint> Widen512(ushort* h, Vector512<uint> mask) =>
        Vector512.ShiftLeft(Avx512F.ConvertToVector512Int32(Avx.LoadVector256((short*)h)), 13).AsUInt32() & mask;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float? Fused256<TRows>(ReadOnlySpan<ushort> halves, ReadOnlySpan<float> xScaled)
        where TRows : struct, IRowCheck
    {
        Vector256<float> v0 = default, v1 = default, v2 = default, v3 = default, v4 = default, v5 = default, v6 = default, v7 = default;
        var special = Vector256<ushort>.Zero;
        var exponent = Vector256.Create((ushort)0x7c00);
        var mask = Vector256.Create(FieldMask);
        fixed (ushort* h = halves)
        fixed (float* y = xScaled)
        {
            for (var i = 0; i < halves.Length; i += 64)
            {
                if (TRows.Check)
                {
                    special = Vector256.Max(
                        Vector256.Max(special, Vector256.Max(Vector256.Load(h + i) & exponent, Vector256.Load(h + i + 16) & exponent)),
                        Vector256.Max(Vector256.Load(h + i + 32) & exponent, Vector256.Load(h + i + 48) & exponent));
                }
                v0 = Fma.MultiplyAdd(Widen256(h + i, mask).AsSingle(), Avx.LoadVector256(y + i), v0);
                v1 = Fma.MultiplyAdd(Widen256(h + i + 8, mask).AsSingle(), Avx.LoadVector256(y + i + 8), v1);
                v2 = Fma.MultiplyAdd(Widen256(h + i + 16, mask).AsSingle(), Avx.LoadVector256(y + i + 16), v2);
                v3 = Fma.MultiplyAdd(Widen256(h + i + 24, mask).AsSingle(), Avx.LoadVector256(y + i + 24), v3);
                v4 = Fma.MultiplyAdd(Widen256(h + i + 32, mask).AsSingle(), Avx.LoadVector256(y + i + 32), v4);
                v5 = Fma.MultiplyAdd(Widen256(h + i + 40, mask).AsSingle(), Avx.LoadVector256(y + i + 40), v5);
                v6 = Fma.MultiplyAdd(Widen256(h + i + 48, mask).AsSingle(), Avx.LoadVector256(y + i + 48), v6);
                v7 = Fma.MultiplyAdd(Widen256(h + i + 56, mask).AsSingle(), Avx.LoadVector256(y + i + 56), v7);
            }
        }

        if (Vector256.EqualsAny(special, exponent))
        {
            return null;
        }

        return F16Dot.Reduce16((v0 + v4) + (v2 + v6), (v1 + v5) + (v3 + v7));
    }

    /// <summary>8 halves as floats 2^112 too small.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<uint> Widen256(ushort* h, Vector256<uint> mask) =>
        Vector256.ShiftLeft(Avx2.ConvertToVector256Int32((short*)h), 13).AsUInt32() & mask;

    /// <summary>Whether F16 data holds no infinity or NaN (a weight matrix is scanned once, then its rows skip the check).</summary>
    public static bool AllFinite(ReadOnlySpan<byte> data)
    {
        var halves = MemoryMarshal.Cast<byte, ushort>(data);
        var exponent = Vector256.Create((ushort)0x7c00);
        var any = Vector256<ushort>.Zero;
        var i = 0;
        for (; i + 16 <= halves.Length; i += 16)
        {
            any = Vector256.Max(any, Vector256.Create(halves.Slice(i, 16)) & exponent);
        }

        for (; i < halves.Length; i++)
        {
            if ((halves[i] & 0x7c00) == 0x7c00)
            {
                return false;
            }
        }

        return !Vector256.EqualsAny(any, exponent);
    }

    /// <summary>Whether a kernel looks for infinities and NaNs: a constant per instantiation, so the JIT drops the dead branch.</summary>
    private interface IRowCheck
    {
        static abstract bool Check { get; }
    }

    private readonly struct CheckedRows : IRowCheck
    {
        public static bool Check => true;
    }

    private readonly struct FiniteRows : IRowCheck
    {
        public static bool Check => false;
    }
}
