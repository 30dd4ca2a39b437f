using System.Globalization;

namespace Parity.Harness.Bisect;

/// <summary>
/// Where inside a tensor the error sits, along each ggml dimension (token, head, channel, KV cell): "only tokens at
/// positions 1-6" points at positions or the cache, "only heads 8-15" at the GQA mapping, "odd channels" at RoPE
/// pairing, "only KV cells after the token's own position" at the causal mask.
/// </summary>
public static class ErrorLocator
{
    /// <summary>An index carries error when its share of the squared error is above this fraction of the total.</summary>
    private const double Negligible = 1e-9;

    /// <param name="labels">Names of ne[0..2] (<see cref="Compare.DimensionLabels"/>); "-" for none.</param>
    /// <param name="positions">Position of each token of the step (for token labels).</param>
    public static string Describe(ReadOnlySpan<float> a, ReadOnlySpan<float> b, IReadOnlyList<long> ne, IReadOnlyList<string> labels, IReadOnlyList<int> positions)
    {
        ArgumentNullException.ThrowIfNull(ne);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(positions);
        int n0 = (int)ne[0], n1 = (int)ne[1], n2 = (int)ne[2];
        var per = new[] { new double[n0], new double[n1], new double[n2] };
        double total = 0, future = 0;
        var kvTokenHead = labels.Count >= 3 && labels[0] == "kv" && labels[1] == "token";
        for (var i2 = 0; i2 < n2; i2++)
        {
            for (var i1 = 0; i1 < n1; i1++)
            {
                for (var i0 = 0; i0 < n0; i0++)
                {
                    var i = i0 + (n0 * (i1 + (n1 * i2)));
                    if (i >= a.Length || i >= b.Length)
                    {
                        continue;
                    }

                    var d = (double)a[i] - b[i];
                    var e = d * d;
                    if (double.IsNaN(e))
                    {
                        e = double.MaxValue / 1e6;
                    }

                    per[0][i0] += e;
                    per[1][i1] += e;
                    per[2][i2] += e;
                    total += e;
                    if (kvTokenHead && i1 < positions.Count && i0 > positions[i1])
                    {
                        future += e;
                    }
                }
            }
        }

        if (total == 0)
        {
            return "no error";
        }

        var parts = new List<string>();
        if (kvTokenHead && future > total * 0.99)
        {
            parts.Add("only KV cells after each token's own position (the causal mask)");
        }

        for (var d = 0; d < 3; d++)
        {
            if (d >= labels.Count || labels[d] == "-" || per[d].Length <= 1)
            {
                continue;
            }

            parts.Add(Dimension(labels[d], per[d], total, labels[d] == "token" ? positions : null));
        }

        return string.Join("; ", parts);
    }

    private static string Dimension(string label, double[] error, double total, IReadOnlyList<int>? positions)
    {
        var carrying = Enumerable.Range(0, error.Length).Where(i => error[i] > total * Negligible).ToList();
        var plural = label switch { "kv" => "KV cells", "vocab" => "vocab entries", _ => label + "s" };
        if (carrying.Count == error.Length)
        {
            if (label == "channel" && error.Length % 2 == 0)
            {
                var even = Enumerable.Range(0, error.Length).Where(i => i % 2 == 0).Sum(i => error[i]);
                var odd = total - even;
                if (Math.Min(even, odd) < 0.02 * total)
                {
                    return $"{plural}: only {(odd > even ? "odd" : "even")} ones";
                }
            }

            return $"{plural}: all";
        }

        string Name(int i) => positions is not null && i < positions.Count ? "position " + positions[i].ToString(CultureInfo.InvariantCulture) : i.ToString(CultureInfo.InvariantCulture);
        var exact = error.Length - carrying.Count;
        return $"{plural}: only {Ranges(carrying, Name)} ({exact} of {error.Length} exact)";
    }

    private static string Ranges(List<int> indexes, Func<int, string> name)
    {
        var ranges = new List<string>();
        for (var i = 0; i < indexes.Count;)
        {
            var j = i;
            while (j + 1 < indexes.Count && indexes[j + 1] == indexes[j] + 1)
            {
                j++;
            }

            ranges.Add(i == j ? name(indexes[i]) : $"{name(indexes[i])}..{name(indexes[j])}");
            i = j + 1;
        }

        return ranges.Count <= 8 ? string.Join(", ", ranges) : string.Join(", ", ranges.Take(8)) + $", ... ({indexes.Count} in all)";
    }
}
