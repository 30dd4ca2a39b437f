using Parity.Engine.Generation;

namespace Parity.Harness.Compare;

/// <summary>
/// The seed report's first table, for one position's logits: each side's top token and logit, where each side ranks the
/// other's choice, how many of the top 5 agree, and the KL divergence KL(B || A) of the softmax distributions.
/// </summary>
public sealed record LogitsComparison(
    int Position,
    int TopA,
    float TopLogitA,
    int TopB,
    float TopLogitB,
    int RankOfTopAInB,
    int RankOfTopBInA,
    int Top5Overlap,
    double KlDivergence,
    float MarginB)
{
    public bool Top1Agrees => TopA == TopB;

    public static LogitsComparison Compute(int position, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var topA = Sampler.ArgMax(a);
        var topB = Sampler.ArgMax(b);
        var top5A = TopK(a, 5);
        var top5B = TopK(b, 5);
        var second = top5B.Length > 1 ? b[top5B[1]] : b[topB];
        return new LogitsComparison(position, topA, a[topA], topB, b[topB], Rank(b, topA), Rank(a, topB), top5A.Intersect(top5B).Count(), Kl(b, a), b[topB] - second);
    }

    /// <summary>1-based rank of <paramref name="token"/> in <paramref name="logits"/> (1 = the largest).</summary>
    public static int Rank(ReadOnlySpan<float> logits, int token)
    {
        var rank = 1;
        foreach (var v in logits)
        {
            if (v > logits[token])
            {
                rank++;
            }
        }

        return rank;
    }

    /// <summary>Indices of the k largest values, largest first (ties to the lower index), in one pass.</summary>
    private static int[] TopK(ReadOnlySpan<float> x, int k)
    {
        var top = new List<int>(k + 1);
        for (var i = 0; i < x.Length; i++)
        {
            if (top.Count == k && x[i] <= x[top[^1]])
            {
                continue;
            }

            var at = top.Count;
            while (at > 0 && x[i] > x[top[at - 1]])
            {
                at--;
            }

            top.Insert(at, i);
            if (top.Count > k)
            {
                top.RemoveAt(k);
            }
        }

        return [.. top];
    }

    /// <summary>KL(P || Q) with P = softmax(p), Q = softmax(q), in nats, accumulated in double.</summary>
    private static double Kl(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        var lp = LogSoftmax(p);
        var lq = LogSoftmax(q);
        var kl = 0.0;
        for (var i = 0; i < lp.Length; i++)
        {
            kl += Math.Exp(lp[i]) * (lp[i] - lq[i]);
        }

        return Math.Max(0, kl);
    }

    private static double[] LogSoftmax(ReadOnlySpan<float> x)
    {
        double max = double.NegativeInfinity;
        foreach (var v in x)
        {
            max = Math.Max(max, v);
        }

        var sum = 0.0;
        foreach (var v in x)
        {
            sum += Math.Exp(v - max);
        }

        var log = Math.Log(sum) + max;
        var result = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            result[i] = x[i] - log;
        }

        return result;
    }
}
