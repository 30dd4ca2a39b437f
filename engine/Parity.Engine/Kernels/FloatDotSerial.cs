namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's <c>ggml_vec_dot_f32</c>, <c>_f16</c> and <c>_bf16</c> in a build without AVX (llama.cpp's noavx library): no
/// SIMD branch applies, so each is the scalar loop <c>sumf += (ggml_float)(x[i]*y[i])</c>, a float product widened and
/// added to a double in element order, and the double rounded to float at the end (read from the library's
/// disassembly: <c>mulss</c>, <c>cvtss2sd</c>, <c>addsd</c>). The operands hold values already widened from F16 or BF16,
/// which is exact. One element at a time is both the reference and the kernel: the order admits no vector form.
/// </summary>
public static class FloatDotSerial
{
    /// <summary>Σ a[l·<paramref name="aStride"/>]·b[l] over l &lt; <paramref name="length"/>, in that order, in double.</summary>
    public static float Dot(ReadOnlySpan<float> a, int aStride, ReadOnlySpan<float> b, int length)
    {
        var sum = 0.0;
        for (var l = 0; l < length; l++)
        {
            sum += a[l * aStride] * b[l];
        }

        return (float)sum;
    }
}
