namespace Parity.TestEngine;

/// <summary>
/// The few operations a llama forward pass needs, as plain loops over row-major float32 buffers: a buffer of
/// <c>rows</c> rows of <c>n</c> values is ggml's <c>[n, rows]</c>. Each follows ggml's CPU op where its order or
/// rounding is visible at a diff's tolerance (sums of squares and exponentials in double, RoPE angles stepped in float).
/// </summary>
internal static class Kernels
{
    /// <summary>Each row divided by its root mean square (before the norm weight).</summary>
    public static float[] RmsNorm(float[] x, int n, float eps)
    {
        var y = new float[x.Length];
        for (var r = 0; r < x.Length / n; r++)
        {
            var row = x.AsSpan(r * n, n);
            var sum = 0.0;
            foreach (var v in row)
            {
                sum += v * v;
            }

            var scale = 1.0f / MathF.Sqrt((float)(sum / n) + eps);
            for (var i = 0; i < n; i++)
            {
                y[(r * n) + i] = row[i] * scale;
            }
        }

        return y;
    }

    /// <summary>Every row times <paramref name="weight"/>, element by element, in place.</summary>
    public static void MulRows(float[] x, float[] weight)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] *= weight[i % weight.Length];
        }
    }

    /// <summary>a + b, element by element, into a new buffer.</summary>
    public static float[] Add(float[] a, float[] b)
    {
        var y = new float[a.Length];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = a[i] + b[i];
        }

        return y;
    }

    /// <summary>y[t, o] = Σ_i w[o, i] · x[t, i]: every token row of <paramref name="x"/> times the weight matrix.</summary>
    public static float[] MatMul(float[] x, float[] w, int nIn, int nOut)
    {
        var rows = x.Length / nIn;
        var y = new float[rows * nOut];
        for (var t = 0; t < rows; t++)
        {
            var xt = x.AsSpan(t * nIn, nIn);
            for (var o = 0; o < nOut; o++)
            {
                var wo = w.AsSpan(o * nIn, nIn);
                var sum = 0f;
                for (var i = 0; i < nIn; i++)
                {
                    sum += wo[i] * xt[i];
                }

                y[(t * nOut) + o] = sum;
            }
        }

        return y;
    }

    /// <summary>
    /// RoPE in place on <c>[headDim, nHeads, tokens]</c>: pair k of a head is rotated by <c>pos · base^(-2k/headDim)</c>.
    /// llama's pairing is adjacent, (2k, 2k+1); <paramref name="neoxPairing"/> rotates (k, k + headDim/2) instead,
    /// the planted bug of <c>--bug rope-pairing</c>.
    /// </summary>
    public static void Rope(float[] x, int headDim, int[] positions, float freqBase, bool neoxPairing)
    {
        var thetaScale = MathF.Pow(freqBase, -2.0f / headDim);
        var cos = new float[headDim / 2];
        var sin = new float[headDim / 2];
        var nHeads = x.Length / headDim / positions.Length;
        for (var t = 0; t < positions.Length; t++)
        {
            // The angle is stepped by repeated multiplication in float, as ggml's rope cache does.
            var theta = (float)positions[t];
            for (var k = 0; k < headDim / 2; k++)
            {
                cos[k] = MathF.Cos(theta);
                sin[k] = MathF.Sin(theta);
                theta *= thetaScale;
            }

            for (var h = 0; h < nHeads; h++)
            {
                var head = x.AsSpan(((t * nHeads) + h) * headDim, headDim);
                for (var k = 0; k < headDim / 2; k++)
                {
                    var (i0, i1) = neoxPairing ? (k, k + (headDim / 2)) : (2 * k, (2 * k) + 1);
                    var (x0, x1) = (head[i0], head[i1]);
                    head[i0] = (x0 * cos[k]) - (x1 * sin[k]);
                    head[i1] = (x0 * sin[k]) + (x1 * cos[k]);
                }
            }
        }
    }

    /// <summary>
    /// Softmax of each row of <c>[nKv, rows]</c> scores times <paramref name="scale"/>, where row r may attend cells
    /// 0..<paramref name="lastAttended"/>(r) only (the causal mask); masked cells come out 0.
    /// </summary>
    public static float[] SoftmaxMasked(float[] scores, int nKv, float scale, Func<int, int> lastAttended)
    {
        var p = new float[scores.Length];
        for (var r = 0; r < scores.Length / nKv; r++)
        {
            var row = scores.AsSpan(r * nKv, nKv);
            var last = lastAttended(r);
            var max = float.NegativeInfinity;
            for (var j = 0; j <= last; j++)
            {
                max = MathF.Max(max, row[j] * scale);
            }

            var sum = 0.0;
            for (var j = 0; j <= last; j++)
            {
                var e = MathF.Exp((row[j] * scale) - max);
                p[(r * nKv) + j] = e;
                sum += e;
            }

            var inverse = (float)(1.0 / sum);
            for (var j = 0; j <= last; j++)
            {
                p[(r * nKv) + j] *= inverse;
            }
        }

        return p;
    }

    /// <summary>silu(gate) · up, element by element (SwiGLU).</summary>
    public static float[] SwiGlu(float[] gate, float[] up)
    {
        var y = new float[gate.Length];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = gate[i] / (1.0f + MathF.Exp(-gate[i])) * up[i];
        }

        return y;
    }

    /// <summary>The index of the largest value (the first of equals): the greedy token.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }
}
