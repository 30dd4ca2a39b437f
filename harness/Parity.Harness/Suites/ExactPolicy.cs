using Parity.Harness.Compare;

namespace Parity.Harness.Suites;

/// <summary>The policy for comparing llama.cpp with itself: every value must reproduce bit for bit.</summary>
public static class ExactPolicy
{
    public static TolerancePolicy Instance { get; } = new()
    {
        Rules = [new ToleranceRule { Pattern = "*", Name = "reference-self", Statistic = ToleranceRule.IdenticalStatistic, Reason = "the reference against itself: the same library, model and tokens must give the same bits" }],
    };
}
