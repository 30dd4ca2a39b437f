namespace Parity.Engine.Kernels;

/// <summary>
/// The orthonormal Walsh-Hadamard rotation llama.cpp applies to Q and K before a quantized K cache (and its <c>kq</c>):
/// spreading each head's outliers over all its channels makes the cache's 8-bit blocks lose less. H/√n is orthogonal,
/// so <c>kq</c> is unchanged in exact arithmetic; the Q8_0 roundings happen on the rotated values.
/// </summary>
/// <remarks>
/// ggml computes it as a fast transform (<c>ggml_compute_forward_fwht</c>, selected by the mul_mat's Hadamard hint):
/// every value is multiplied by 1/√n first, then butterflies (u + v, u − v) of span 1, 2, 4, ... n/2 in that order.
/// Each output is then a fixed sequence of single-rounded adds, whatever the vector width (ggml's SIMD passes compute
/// u − v as fma(v, −1, u), which rounds identically), so this plain loop gives ggml's bits. Measured on llama.cpp
/// 815a2a5 dumps: bit-identical to its rotation nodes for head_dim 64, batch and single-token steps.
/// </remarks>
public static class WalshHadamard
{
    /// <summary>
    /// The rotation size llama.cpp uses for a head of <paramref name="headDim"/> channels: the largest power of two of
    /// at least 64 that divides it, or 0 (no rotation) when 64 does not divide it.
    /// </summary>
    public static int RotationSize(int headDim)
    {
        if (headDim <= 0 || headDim % 64 != 0)
        {
            return 0;
        }

        var n = 64;
        while (headDim % (n * 2) == 0)
        {
            n *= 2;
        }

        return n;
    }

    /// <summary>Rotates every consecutive run of <paramref name="n"/> values (a power of two) of <paramref name="x"/> in place.</summary>
    public static void Rotate(Span<float> x, int n)
    {
        if (n <= 0 || (n & (n - 1)) != 0 || x.Length % n != 0)
        {
            throw new ArgumentException($"rotation size {n} must be a power of two dividing the length {x.Length}", nameof(n));
        }

        var scale = 1.0f / MathF.Sqrt(n);
        for (var start = 0; start < x.Length; start += n)
        {
            var row = x.Slice(start, n);
            for (var i = 0; i < n; i++)
            {
                row[i] *= scale;
            }

            for (var span = 1; span < n; span <<= 1)
            {
                for (var i = 0; i < n; i += 2 * span)
                {
                    for (var j = i; j < i + span; j++)
                    {
                        var u = row[j];
                        var v = row[j + span];
                        row[j] = u + v;
                        row[j + span] = u - v;
                    }
                }
            }
        }
    }
}
