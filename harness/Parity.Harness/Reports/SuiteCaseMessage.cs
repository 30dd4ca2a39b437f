using System.Globalization;
using Parity.Harness.Suites;

namespace Parity.Harness.Reports;

/// <summary>The one line a CI system shows for a case that did not pass: the failing tensor first, then the verdict's summary.</summary>
public static class SuiteCaseMessage
{
    public static string Of(CaseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Diff?.FirstFailure is var (step, tensor)
            ? string.Create(CultureInfo.InvariantCulture, $"tensor {tensor.Key} (step {step.Step}, {tensor.Op}, judged by {tensor.Rule?.Regime ?? "no rule"}{(tensor.Rule is { } r ? $", tolerance {r.Bound}" : string.Empty)}): {result.Summary}")
            : result.Summary;
    }
}
