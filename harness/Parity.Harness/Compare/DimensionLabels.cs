namespace Parity.Harness.Compare;

/// <summary>
/// Reads an error location by the names of a tensor's ggml dimensions (the graph descriptor's <c>dims</c>), so it says
/// "token 3, head 5, channel 17".
/// </summary>
public static class DimensionLabels
{
    public static string Describe(IReadOnlyList<string> labels, IReadOnlyList<long> at)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(at);
        return string.Join(", ", Enumerable.Range(0, Math.Min(labels.Count, at.Count)).Where(i => labels[i] != "-").Reverse().Select(i => $"{labels[i]} {at[i]}"));
    }
}
