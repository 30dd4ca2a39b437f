namespace Parity.Harness.Bench;

/// <summary>Tokens per second of one side at one thread count: median and spread over the repetitions.</summary>
public sealed record BenchResult(string Side, int Threads, IReadOnlyList<double> PromptTokensPerSecond, IReadOnlyList<double> GenTokensPerSecond)
{
    public double PromptMedian => Median(PromptTokensPerSecond);

    public double GenMedian => Median(GenTokensPerSecond);

    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
