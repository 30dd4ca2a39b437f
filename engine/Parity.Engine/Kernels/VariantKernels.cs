using System.Runtime.Intrinsics;

namespace Parity.Engine.Kernels;

/// <summary>
/// The float arithmetic of one llama.cpp library variant outside the block dots: tinyBLAS (its lane count, hence which
/// batches it takes, and its order), <c>ggml_vec_dot_f32/f16/bf16</c>, and the vectorised <c>expf</c> with the chunk
/// width and chunk reduction of <c>soft_max</c> and <c>swiglu</c>. A variant's type table holds its float dots; the
/// attention and the element-wise ops read the rest from here. One instance per variant, chosen once per model.
/// </summary>
public abstract class VariantKernels
{
    public static VariantKernels Avx512 { get; } = new Avx512Kernels();

    public static VariantKernels Avx2 { get; } = new Avx2Kernels();

    public static VariantKernels Avx { get; } = new AvxKernels();

    public static VariantKernels NoAvx { get; } = new NoAvxKernels();

    /// <summary>The kernels of <paramref name="variant"/>; one the engine has none for is refused by name.</summary>
    public static VariantKernels For(GgmlVariant variant) => variant switch
    {
        GgmlVariant.Avx512 => Avx512,
        GgmlVariant.Avx2 => Avx2,
        GgmlVariant.Avx => Avx,
        GgmlVariant.NoAvx => NoAvx,
        _ => throw new NotSupportedException($"the engine has no kernels in the order of llama.cpp's {variant.Name()} library"),
    };

    public abstract GgmlVariant Variant { get; }

    /// <summary>tinyBLAS's lanes per accumulator (its KN): it takes float operands only when k is a multiple of it.</summary>
    public abstract int TinyBlasLanes { get; }

    /// <summary>Whether tinyBLAS takes a float batch with rows of <paramref name="k"/> elements.</summary>
    public bool TinyBlasAccepts(int k) => TinyBlasLanes > 0 && k % TinyBlasLanes == 0;

    /// <summary>Whether the library has tinyBLAS for BF16 operands (its F32 and F16 ones aside); without it BF16 batches take <c>vec_dot_bf16</c>.</summary>
    public virtual bool TinyBlasBf16 => TinyBlasLanes > 0;

    /// <summary>
    /// Whether the library's scalar C code was compiled with FMA, so the compiler contracted <c>a*b + c</c> into one
    /// rounding (RoPE's <c>rotate_pairs</c>, the GELU table's fill); false for a build without FMA, which rounds the
    /// product and the sum apart.
    /// </summary>
    public virtual bool ContractsScalarCode => true;

    /// <summary>
    /// Whether the library quantizes activations to Q8_0 and Q8_1 with ggml's reference code (<c>quantize_row_q8_0_ref</c>:
    /// id = 1/d, ties away from zero) rather than the SIMD path (id = 127/amax, ties to even): the build without AVX.
    /// </summary>
    public virtual bool QuantizesByReference => false;

    /// <summary>One output of tinyBLAS; elements past <paramref name="length"/> are zeros (a padded attention row).</summary>
    public abstract float TinyBlas(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length);

    /// <summary><c>ggml_vec_dot_f16</c> over an attention row that llama.cpp pads with zeros past <paramref name="length"/>, so no leftovers.</summary>
    public abstract float VecDotF16Padded(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length);

    /// <summary><c>ggml_vec_dot_f32</c>, leftovers included.</summary>
    public abstract float DotF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b);

    /// <summary><c>ggml_vec_dot_f16</c> on operands holding F16 values, leftovers included.</summary>
    public abstract float DotF16(ReadOnlySpan<float> a, ReadOnlySpan<float> b);

    /// <summary><see cref="DotF16"/> of one query row against many cached keys, key j at <c>keys[j * stride ..]</c>.</summary>
    public virtual void DotsF16(ReadOnlySpan<float> keys, int stride, ReadOnlySpan<float> q, Span<float> dots)
    {
        for (var j = 0; j < dots.Length; j++)
        {
            dots[j] = DotF16(keys.Slice(j * stride, q.Length), q);
        }
    }

    /// <summary><c>ggml_vec_dot_bf16</c> on operands holding BF16 values, leftovers included.</summary>
    public abstract float DotBf16(ReadOnlySpan<float> a, ReadOnlySpan<float> b);

    /// <summary>Elements per vector chunk of <c>soft_max</c> and <c>swiglu</c>; a row's remainder goes through libm <c>expf</c>.</summary>
    public abstract int ExpLanes { get; }

    /// <summary>The variant's <c>ggml_v_expf</c> on one lane.</summary>
    public abstract float Exp(float x);

    /// <summary><see cref="Exp(float)"/> of eight lanes, each as the scalar form computes it.</summary>
    public virtual Vector256<float> Exp(Vector256<float> x) => Vector256.Create(Exp(x[0]), Exp(x[1]), Exp(x[2]), Exp(x[3]), Exp(x[4]), Exp(x[5]), Exp(x[6]), Exp(x[7]));

    /// <summary>One chunk of <see cref="ExpLanes"/> exponentials reduced as <c>soft_max</c> reduces it before adding it to its double sum.</summary>
    public abstract float ChunkSum(ReadOnlySpan<float> chunk);

    private sealed class Avx512Kernels : VariantKernels
    {
        public override GgmlVariant Variant => GgmlVariant.Avx512;

        public override int TinyBlasLanes => 16;

        public override float TinyBlas(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length) => F16Dot.TinyBlas(a, aStride, b, length);

        public override float VecDotF16Padded(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length) => F16Dot.VecDot(a, aStride, b, length);

        public override float DotF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FloatDot.F32(a, b);

        public override float DotF16(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FloatDot.F16(a, b);

        public override void DotsF16(ReadOnlySpan<float> keys, int stride, ReadOnlySpan<float> q, Span<float> dots)
        {
            if (!FloatDot.TryF16Keys(keys, stride, q, dots))
            {
                base.DotsF16(keys, stride, q, dots);
            }
        }

        public override float DotBf16(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FloatDot.Bf16(a, b);

        public override int ExpLanes => 16;

        public override float Exp(float x) => GgmlExp.Exp(x);

        public override Vector256<float> Exp(Vector256<float> x) => GgmlExp.Exp(x);

        public override float ChunkSum(ReadOnlySpan<float> chunk) => F16Dot.Reduce16(chunk);
    }

    private class Avx2Kernels : VariantKernels
    {
        public override GgmlVariant Variant => GgmlVariant.Avx2;

        public override int TinyBlasLanes => 8;

        public override float TinyBlas(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length) => FloatDot8.TinyBlas(a, aStride, b, length);

        public override float VecDotF16Padded(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length) => FloatDot8.VecDot(a, aStride, b, length);

        public override float DotF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FloatDot8.F32(a, b);

        public override float DotF16(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FloatDot8.F16(a, b);

        public override float DotBf16(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FloatDot8.Bf16(a, b);

        public override int ExpLanes => 8;

        public override float Exp(float x) => GgmlExp.ExpAvx2(x);

        public override Vector256<float> Exp(Vector256<float> x) => GgmlExp.ExpAvx2(x);

        public override float ChunkSum(ReadOnlySpan<float> chunk) => FloatDot8.Hsum(chunk);
    }

    /// <summary>
    /// The AVX build (AVX with FMA and F16C, no AVX2): the AVX2 build's float dots and its F32 and F16 tinyBLAS (it has
    /// no BF16 one), but soft_max and swiglu take ggml's SSE2 path, 4 lanes per chunk, with the same per-lane
    /// <c>expf</c> (its FMAs fused too), each chunk reduced (v0+v2) + (v1+v3). Its block dots that differ from the AVX2
    /// build's (single-token Q8_0 and Q4_0, Q2_K, Q3_K) are in its type table.
    /// </summary>
    private sealed class AvxKernels : Avx2Kernels
    {
        public override GgmlVariant Variant => GgmlVariant.Avx;

        public override bool TinyBlasBf16 => false;

        public override int ExpLanes => 4;

        public override float ChunkSum(ReadOnlySpan<float> chunk) => (chunk[0] + chunk[2]) + (chunk[1] + chunk[3]);
    }

    /// <summary>
    /// The build without AVX (SSE2 only, no FMA, no F16C): no tinyBLAS at all (<c>llamafile_sgemm</c> returns false),
    /// so every product is a <c>vec_dot</c>; the float dots are ggml's scalar loops (<see cref="FloatDotSerial"/>);
    /// soft_max and swiglu take the SSE2 path, 4 lanes per chunk, with <c>expf</c> in separate multiplies and adds
    /// (<see cref="GgmlExp.ExpSse2"/>), each chunk reduced (v0+v1) + (v2+v3); scalar code is not contracted.
    /// </summary>
    private sealed class NoAvxKernels : VariantKernels
    {
        public override GgmlVariant Variant => GgmlVariant.NoAvx;

        public override int TinyBlasLanes => 0;

        public override bool ContractsScalarCode => false;

        public override bool QuantizesByReference => true;

        public override float TinyBlas(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length) =>
            throw new InvalidOperationException("llama.cpp's noavx library has no tinyBLAS; every product there is a vec_dot");

        public override float VecDotF16Padded(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length) => FloatDotSerial.Dot(a, aStride, b, length);

        public override float DotF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FloatDotSerial.Dot(a, 1, b, a.Length);

        public override float DotF16(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FloatDotSerial.Dot(a, 1, b, a.Length);

        public override float DotBf16(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FloatDotSerial.Dot(a, 1, b, a.Length);

        public override int ExpLanes => 4;

        public override float Exp(float x) => GgmlExp.ExpSse2(x);

        public override float ChunkSum(ReadOnlySpan<float> chunk) => (chunk[0] + chunk[1]) + (chunk[2] + chunk[3]);
    }
}
