using Parity.Engine.Generation;

namespace Parity.Harness.Compare;

/// <summary>
/// One position's logits, side by side: each side's top token and logit, where each side ranks the
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
    /// <summary>NaN or infinite logits of A at this position (argmax, ranks and KL mean nothing then).</summary>
    public int NonFiniteA { get; init; }

    public int NonFiniteB { get; init; }

    /// <summary>A's five largest logits, largest first: what a reader compares side by side with <see cref="TopTokensB"/>.</summary>
    public IReadOnlyList<RankedToken> TopTokensA { get; init; } = [];

    public IReadOnlyList<RankedToken> TopTokensB { get; init; } = [];

    /// <summary>Both sides pick the same token from finite logits: a NaN anywhere is never agreement.</summary>
    public bool Top1Agrees => TopA == TopB && NonFiniteA == 0 && NonFiniteB == 0;

    public static LogitsComparison Compute(int position, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var topA = Sampler.ArgMax(a);
        var topB = Sampler.ArgMax(b);
        var top5A = TopK(a, 5);
        var top5B = TopK(b, 5);
        var second = top5B.Length > 1 ? b[top5B[1]] : b[topB];
        return new LogitsComparison(position, topA, a[topA], topB, b[topB], Rank(b, topA), Rank(a, topB), top5A.Intersect(top5B).Count(), Kl(b, a), b[topB] - second)
        {
            NonFiniteA = NonFinite(a),
            NonFiniteB = NonFinite(b),
            TopTokensA = Ranked(a, top5A),
            TopTokensB = Ranked(b, top5B),
        };
    }

    private static RankedToken[] Ranked(ReadOnlySpan<float> logits, int[] ids)
    {
        var ranked = new RankedToken[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ranked[i] = new RankedToken(ids[i], logits[ids[i]]);
        }

        return ranked;
    }

    private static int NonFinite(ReadOnlySpan<float> x)
    {
        var n = 0;
        foreach (var v in x)
        {
            n += float.IsFinite(v) ? 0 : 1;
        }

        return n;
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

    /// <summary>
    /// KL(P || Q) with P = softmax(p), Q = softmax(q), in nats, in double. Written as
    /// sum_i P_i (p_i - q_i) - (logZ_p - logZ_q): P sums to one, so this equals sum_i P_i (log P_i - log Q_i) with two
    /// exponentials per element instead of three and no per-call arrays (a 32000-token vocabulary made the old form a
    /// fifth of a whole-model diff). Scalar Math.Exp on purpose: TensorPrimitives.Exp over doubles measured no faster here
    /// and costs a generic instantiation's JIT in a short-lived diff.
    /// </summary>
    private static double Kl(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        var buffer = System.Buffers.ArrayPool<double>.Shared.Rent(p.Length);
        try
        {
            var expP = buffer.AsSpan(0, p.Length);
            var maxP = Max(p);
            var maxQ = Max(q);
            if (!double.IsFinite(maxP) || !double.IsFinite(maxQ))
            {
                return double.NaN;
            }

            double sumP = 0, sumQ = 0;
            for (var i = 0; i < p.Length; i++)
            {
                expP[i] = Math.Exp(p[i] - maxP);
                sumP += expP[i];
                sumQ += Math.Exp(q[i] - maxQ);
            }

            // p_i - q_i is exact in double (the difference of two floats fits its mantissa).
            var weighted = 0.0;
            for (var i = 0; i < p.Length; i++)
            {
                weighted += expP[i] * ((double)p[i] - q[i]);
            }

            var logZp = Math.Log(sumP) + maxP;
            var logZq = Math.Log(sumQ) + maxQ;
            return Math.Max(0, (weighted / sumP) - (logZp - logZq));
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(buffer);
        }
    }

    private static double Max(ReadOnlySpan<float> x)
    {
        var max = float.NegativeInfinity;
        foreach (var v in x)
        {
            max = v > max || float.IsNaN(v) ? v : max;
        }

        return max;
    }
}
