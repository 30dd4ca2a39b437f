using Parity.Dump;
using Parity.Harness.Graph;

namespace Parity.Harness.Compare;

/// <summary>
/// When a pair fails, tries the layout mistakes behind most broken ports and says which one makes the candidate match:
/// a transposed matrix, heads in another order, RoPE pairing (NEOX (i, i+d/2) instead of NORM (2i, 2i+1)), and GQA
/// mapping (query head h on KV head h % n_kv instead of h / group). A transform "explains" a failure when it brings
/// the NMSE under the bound and at least 100x below the untransformed NMSE. Which tensors carry heads, which are RoPE
/// outputs and which are Q·Kᵀ comes from the graph descriptor (dims, packedHeads, layoutChecks).
/// </summary>
public static class LayoutTransforms
{
    internal static string? Explain(TensorDiff diff, ReadOnlySpan<float> a, ReadOnlySpan<float> b, IReadOnlyList<long> ne, PairContext pair)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(pair);
        if (a.Length != b.Length)
        {
            return null;
        }

        var baseline = diff.Metrics?.Nmse ?? double.PositiveInfinity;
        var bound = pair.Rule.Max ?? 0;
        bool Explains(double nmse) => nmse <= Math.Max(bound, 1e-30) || (nmse <= 1e-6 && nmse * 100 <= baseline);

        // transpose: the candidate holds [y, x] where [x, y] was meant
        var dims = ne.Where(d => d > 1).ToArray();
        if (dims.Length == 2 && Explains(TransposedNmse(a, b, (int)dims[0], (int)dims[1])))
        {
            return $"matches under transpose (the candidate's [{dims[0]}, {dims[1]}] is laid out as [{dims[1]}, {dims[0]}])";
        }

        return pair.Manifest.Model.Hyperparameters is { } h && pair.Graph.NodeOfKey(diff.Key) is { } node
            ? ExplainByGraph(node, diff, a, b, ne, pair, h, Explains)
            : null;
    }

    /// <summary>The mistakes that need to know what the tensor is: RoPE pairing, head order, GQA mapping.</summary>
    private static string? ExplainByGraph(GraphNode node, TensorDiff diff, ReadOnlySpan<float> a, ReadOnlySpan<float> b, IReadOnlyList<long> ne, PairContext pair, DumpHyperparameters h, Func<double, bool> explains)
    {
        var (stepB, manifest, _, graph) = pair;
        var hd = h.HeadDim;
        var inputs = graph.InputsOf(diff.Key, h.NLayer);

        // RoPE pairing: rotate the reference's own pre-RoPE input the other way
        if (node.LayoutChecks.Contains(LayoutCheck.RopePairing) && stepB.TryGet(inputs[0], out var preRope))
        {
            var input = stepB.ToFloat32Array(preRope);
            var heads = (int)ne[IndexOf(node.Dims, "head")];
            if (input.Length != (long)heads * hd * manifest.Positions.Count)
            {
                // the reference's input is not this RoPE's [head_dim, heads, tokens]: nothing to rotate
                return null;
            }

            var rotated = Rope(input, heads, hd, h.RopeDimensionCount, manifest.Positions, h.RopeFreqBase, neox: true);
            if (explains(Nmse(a, rotated)))
            {
                return "matches under RoPE NEOX pairing (i, i + n_rot/2) where llama uses NORM (2i, 2i+1)";
            }

            var norm = Rope(input, heads, hd, h.RopeDimensionCount, manifest.Positions, h.RopeFreqBase, neox: false);
            if (explains(Nmse(a, norm)))
            {
                return "matches under RoPE NORM pairing (2i, 2i+1) where the reference uses NEOX";
            }
        }

        // heads in another order
        if (HeadLayout(node, ne, hd, h.NHead, h.NHeadKv) is { } layout)
        {
            var perm = BestHeadPermutation(a, b, layout);
            if (perm is not null && !perm.Select((p, i) => p == i).All(x => x))
            {
                var permuted = Permute(a, layout, perm);
                if (explains(Nmse(permuted, b)))
                {
                    return $"matches under head permutation (candidate head i is reference head [{string.Join(", ", perm)}][i])";
                }
            }
        }

        // GQA mapping, on the prompt step where the reference's keys input holds every key
        if (node.LayoutChecks.Contains(LayoutCheck.GqaMapping) && manifest.Step == 0 && h.NHeadKv < h.NHead && stepB.TryGet(inputs[0], out var q) && stepB.TryGet(inputs[1], out var k))
        {
            var interleaved = Scores(stepB.ToFloat32Array(q), stepB.ToFloat32Array(k), h.NHead, h.NHeadKv, hd, (int)ne[1], (int)ne[0], head => head % h.NHeadKv);
            if (explains(Nmse(a, interleaved)))
            {
                return "matches under GQA interleave: query head h uses KV head h % n_head_kv where llama.cpp uses h / (n_head / n_head_kv)";
            }
        }

        return null;
    }

    internal static double Nmse(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double num = 0, den = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            num += d * d;
            den += (double)b[i] * b[i];
        }

        return den > 0 ? num / den : (num > 0 ? double.PositiveInfinity : 0);
    }

    private static double TransposedNmse(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int x, int y)
    {
        double num = 0, den = 0;
        for (var i1 = 0; i1 < y; i1++)
        {
            for (var i0 = 0; i0 < x; i0++)
            {
                var d = (double)a[(i0 * y) + i1] - b[(i1 * x) + i0];
                num += d * d;
                den += (double)b[(i1 * x) + i0] * b[(i1 * x) + i0];
            }
        }

        return den > 0 ? num / den : double.PositiveInfinity;
    }

    /// <summary>
    /// (head count, size of one head's block, stride between heads, count of blocks per head, stride between blocks) of
    /// a head-bearing tensor: from its <c>head</c> dimension, or from a channel dimension packing heads of head_dim.
    /// </summary>
    private static (int Heads, int Block, int HeadStride, int Repeats, int RepeatStride)? HeadLayout(GraphNode node, IReadOnlyList<long> ne, int hd, int nHead, int nHeadKv)
    {
        var axis = IndexOf(node.Dims, "head");
        if (axis >= 0)
        {
            var block = ne.Take(axis).Aggregate(1L, (x, y) => x * y);
            var repeats = ne.Skip(axis + 1).Aggregate(1L, (x, y) => x * y);
            return ((int)ne[axis], (int)block, (int)block, (int)repeats, (int)(block * ne[axis]));
        }

        var heads = node.PackedHeads switch
        {
            HeadGroup.NHead => nHead,
            HeadGroup.NHeadKv => nHeadKv,
            _ => 0,
        };
        return heads > 0 && ne[0] == (long)heads * hd ? (heads, hd, hd, (int)ne[1], (int)ne[0]) : null;
    }

    private static int IndexOf(IReadOnlyList<string> labels, string label)
    {
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] == label)
            {
                return i;
            }
        }

        return -1;
    }

    private static int[]? BestHeadPermutation(ReadOnlySpan<float> a, ReadOnlySpan<float> b, (int Heads, int Block, int HeadStride, int Repeats, int RepeatStride) l)
    {
        var perm = new int[l.Heads];
        var used = new bool[l.Heads];
        for (var ha = 0; ha < l.Heads; ha++)
        {
            var best = -1;
            var bestErr = double.PositiveInfinity;
            for (var hb = 0; hb < l.Heads; hb++)
            {
                if (used[hb])
                {
                    continue;
                }

                double err = 0;
                for (var r = 0; r < l.Repeats; r++)
                {
                    for (var i = 0; i < l.Block; i++)
                    {
                        var d = (double)a[(r * l.RepeatStride) + (ha * l.HeadStride) + i] - b[(r * l.RepeatStride) + (hb * l.HeadStride) + i];
                        err += d * d;
                    }
                }

                if (err < bestErr)
                {
                    bestErr = err;
                    best = hb;
                }
            }

            if (best < 0)
            {
                return null;
            }

            perm[ha] = best;
            used[best] = true;
        }

        return perm;
    }

    /// <summary>The candidate rearranged so its head i lands where reference head perm[i] is.</summary>
    private static float[] Permute(ReadOnlySpan<float> a, (int Heads, int Block, int HeadStride, int Repeats, int RepeatStride) l, int[] perm)
    {
        var result = a.ToArray();
        for (var r = 0; r < l.Repeats; r++)
        {
            for (var ha = 0; ha < l.Heads; ha++)
            {
                a.Slice((r * l.RepeatStride) + (ha * l.HeadStride), l.Block).CopyTo(result.AsSpan((r * l.RepeatStride) + (perm[ha] * l.HeadStride), l.Block));
            }
        }

        return result;
    }

    private static float[] Rope(float[] x, int heads, int hd, int nRot, IReadOnlyList<int> positions, float freqBase, bool neox)
    {
        var result = (float[])x.Clone();
        var thetaScale = MathF.Pow(freqBase, -2.0f / nRot);
        for (var t = 0; t < positions.Count; t++)
        {
            for (var h = 0; h < heads; h++)
            {
                var head = result.AsSpan(((t * heads) + h) * hd, hd);
                var theta = (float)positions[t];
                for (var i = 0; i < nRot / 2; i++)
                {
                    var (a, b) = neox ? (i, i + (nRot / 2)) : (2 * i, (2 * i) + 1);
                    var x0 = head[a];
                    var x1 = head[b];
                    head[a] = (x0 * MathF.Cos(theta)) - (x1 * MathF.Sin(theta));
                    head[b] = (x0 * MathF.Sin(theta)) + (x1 * MathF.Cos(theta));
                    theta *= thetaScale;
                }
            }
        }

        return result;
    }

    private static float[] Scores(float[] q, float[] k, int nHead, int nHeadKv, int hd, int n, int nKv, Func<int, int> kvHeadOf)
    {
        var result = new float[nKv * n * nHead];
        for (var h = 0; h < nHead; h++)
        {
            var kvh = kvHeadOf(h);
            for (var t = 0; t < n; t++)
            {
                for (var j = 0; j <= Math.Min(t, nKv - 1); j++)
                {
                    double dot = 0;
                    for (var d = 0; d < hd; d++)
                    {
                        dot += (double)q[(((t * nHead) + h) * hd) + d] * k[(((j * nHeadKv) + kvh) * hd) + d];
                    }

                    result[(((h * n) + t) * nKv) + j] = (float)dot;
                }
            }
        }

        return result;
    }
}
