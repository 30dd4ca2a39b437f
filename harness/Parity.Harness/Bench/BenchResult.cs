namespace Parity.Harness.Bench;

/// <summary>
/// One side at one thread count: tokens per second over the repetitions (median and spread), time to first token
/// (the prompt's processing), and the process's peak resident set (mapped model pages included once touched).
/// </summary>
public sealed record BenchResult(string Side, int Threads, IReadOnlyList<double> PromptTokensPerSecond, IReadOnlyList<double> GenTokensPerSecond)
{
    public double PromptMedian => Median(PromptTokensPerSecond);

    public double GenMedian => Median(GenTokensPerSecond);

    /// <summary>Median time to the first token's logits (the whole prompt in one batch), milliseconds.</summary>
    public double FirstTokenMs { get; init; }

    /// <summary>Peak resident set of the process that ran this side (0 where unknown).</summary>
    public long PeakRssBytes { get; init; }

    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
