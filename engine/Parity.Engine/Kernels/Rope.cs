using Parity.Engine.Model;

namespace Parity.Engine.Kernels;

/// <summary>
/// Rotary position embedding as ggml's CPU <c>rope</c> evaluates it (no YaRN: ext_factor 0, attn_factor 1): the
/// angle of pair i is <c>pos * freq_scale * theta_scale^i</c> with <c>theta_scale = powf(freq_base, -2/n_dims)</c>,
/// built by repeated float multiplication as ggml does, then <c>cosf</c>/<c>sinf</c>. NORM mode rotates adjacent pairs
/// (2i, 2i+1); NEOX rotates (i, i + n_dims/2). Dimensions past <c>n_dims</c> pass through. With frequency factors
/// (<c>rope_freqs.weight</c>), pair i's angle is <c>freq_scale * (theta / factor[i])</c>, as ggml's rope cache. The rotation uses the
/// fused multiply-adds the pinned llama.cpp builds with FMA emit for <c>rotate_pairs</c> (read from their disassembly), or
/// the separate products and sums of the build without FMA.
/// </summary>
public static class Rope
{
    /// <summary>Rotates every head of one token in place: <paramref name="x"/> is [nHead][headDim].</summary>
    /// <param name="contracted">Whether the library's compiler fused each rotation line into one FMA (false for a build without FMA).</param>
    public static void Apply(Span<float> x, int nHead, int headDim, int nDims, int position, float freqBase, float freqScale, RopeMode mode, ReadOnlySpan<float> freqFactors, Span<float> cosSinScratch, bool contracted = true)
    {
        var half = nDims / 2;
        var cos = cosSinScratch[..half];
        var sin = cosSinScratch.Slice(half, half);
        var thetaScale = MathF.Pow(freqBase, -2.0f / nDims);
        var theta = (float)position;
        for (var i = 0; i < half; i++)
        {
            var angle = freqFactors.IsEmpty ? freqScale * theta : freqScale * (theta / freqFactors[i]);
            cos[i] = MathF.Cos(angle);
            sin[i] = MathF.Sin(angle);
            theta *= thetaScale;
        }

        for (var h = 0; h < nHead; h++)
        {
            var head = x.Slice(h * headDim, headDim);
            for (var i = 0; i < half; i++)
            {
                int a, b;
                if (mode == RopeMode.Norm)
                {
                    a = 2 * i;
                    b = a + 1;
                }
                else
                {
                    a = i;
                    b = i + half;
                }

                // ggml's rotate_pairs as the pinned build compiled it (-mfma contracts each line into one FMA):
                // dst0 = fma(x0, cos, -(x1*sin)), dst1 = fma(x0, sin, x1*cos); checked against llama.cpp's dumps.
                // Without FMA: dst0 = x0*cos - x1*sin, dst1 = x0*sin + x1*cos, each product rounded.
                var x0 = head[a];
                var x1 = head[b];
                head[a] = contracted ? MathF.FusedMultiplyAdd(x0, cos[i], -(x1 * sin[i])) : (x0 * cos[i]) - (x1 * sin[i]);
                head[b] = contracted ? MathF.FusedMultiplyAdd(x0, sin[i], x1 * cos[i]) : (x0 * sin[i]) + (x1 * cos[i]);
            }
        }
    }
}
