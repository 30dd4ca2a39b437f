using System.Globalization;
using Parity.Dump;

namespace Parity.Harness.Compare;

/// <summary>Where two expert choices part: the first token whose ranked experts differ, and how close the reference's call was.</summary>
internal static class ExpertRouting
{
    /// <summary>
    /// "token 7 (position 7) chose experts [3, 5] vs [3, 6], router margin 2.1E-07" (the top-k; "ranks" for the full
    /// argsort): the experts each side ranks up to the first rank that differs, and the gap between the reference's
    /// probabilities of the two experts at that rank; null when every token agrees.
    /// </summary>
    public static string? Describe(ReadOnlySpan<int> a, ReadOnlySpan<int> b, int perToken, bool fullRanking, IReadOnlyList<int> positions, DumpStep reference, string probabilitiesKey)
    {
        for (var t = 0; t * perToken < b.Length; t++)
        {
            var ra = a.Slice(t * perToken, perToken);
            var rb = b.Slice(t * perToken, perToken);
            var rank = FirstDifference(ra, rb);
            if (rank < 0)
            {
                continue;
            }

            var position = t < positions.Count ? positions[t] : t;
            var margin = Margin(reference, probabilitiesKey, t, ra[rank], rb[rank]);
            return string.Create(CultureInfo.InvariantCulture,
                $"token {t} (position {position}) {(fullRanking ? "ranks" : "chose")} experts [{string.Join(", ", ra[..(rank + 1)].ToArray())}] vs [{string.Join(", ", rb[..(rank + 1)].ToArray())}]{margin}");
        }

        return null;
    }

    private static int FirstDifference(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        for (var i = 0; i < b.Length; i++)
        {
            if (a[i] != b[i])
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>", router margin 2.1E-07": |p(expert A chose) - p(expert B chose)| in the reference's probabilities.</summary>
    private static string Margin(DumpStep reference, string key, int token, int expertA, int expertB)
    {
        if (!reference.TryGet(key, out var entry) || entry.DType != DumpDType.F32 || entry.Ne[1] <= token || expertA >= entry.Ne[0] || expertB >= entry.Ne[0] || expertA < 0)
        {
            return string.Empty;
        }

        var row = reference.GetFloats(entry).Slice(token * (int)entry.Ne[0], (int)entry.Ne[0]);
        return string.Create(CultureInfo.InvariantCulture, $", router margin {Math.Abs((double)row[expertA] - row[expertB]):G2}");
    }
}
