using System.Globalization;

namespace Parity.Harness.Compare;

/// <summary>
/// The one line a verdict names its first failure with, in the words of the regime that judged it: "first non-identical
/// tensor: step 0 norm-0 (RMS_NORM), 1792 of 7168 values differ, at most 3 ulp at token 1, channel 5; inputs
/// identical", "first tensor out of tolerance: ...", "first non-finite tensor: ...".
/// </summary>
public static class FailureDescription
{
    public static string? FirstFailure(RunDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        return diff.FirstFailure is { } f ? Describe(diff, f.Step, f.Tensor) : diff.Divergence?.Describe();
    }

    public static string Describe(RunDiff diff, StepDiff step, TensorDiff t)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(t);
        var inv = CultureInfo.InvariantCulture;
        var head = $"step {step.Step} {t.Key} ({t.Op})";
        var m = t.Metrics;
        return t.Status switch
        {
            TensorStatus.Differs when m is not null =>
                $"first non-identical tensor: {head}, {Differing(m)} at {Where(t, m.MaxUlpAt)}; {Inputs(diff, step, t)}",
            TensorStatus.Failed when m is not null && t.Rule is { } r => string.Create(inv,
                $"first tensor out of tolerance: {head}, {r.Statistic} {r.Value(m):E2} outside {r.Bound}, max abs error {m.MaxAbsError:E2} at {Where(t, m.MaxAbsErrorAt)}; {Inputs(diff, step, t)}"),
            TensorStatus.NonFinite => $"first non-finite tensor: {head}, {t.Note}",
            _ => $"first failure: {head}, {t.Status}{(t.Note is null ? string.Empty : " — " + t.Note)}",
        };
    }

    /// <summary>Whether the op's inputs (by the graph descriptor's op inputs) were already off in the same step.</summary>
    public static string Inputs(RunDiff diff, StepDiff step, TensorDiff t)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(t);
        var inputs = diff.Graph.InputsOf(t.Key, diff.LayerCount);
        if (inputs.Count == 0)
        {
            return "its inputs are token ids or weights";
        }

        var found = inputs.Select(k => step.Tensors.FirstOrDefault(x => x.Key == k)).ToList();
        if (found.Any(x => x?.Metrics is null))
        {
            return $"inputs not all compared ({string.Join(", ", inputs)})";
        }

        var off = found.Where(x => !x!.Metrics!.Identical).ToList();
        if (off.Count == 0)
        {
            return "inputs identical";
        }

        // Under a tolerance rule an input can differ and still pass; saying only "differ" would read as the cause.
        var broken = off.Where(x => x!.Status != TensorStatus.Passed).Select(x => x!.Key).ToList();
        var within = off.Where(x => x!.Status == TensorStatus.Passed).Select(x => x!.Key).ToList();
        var parts = new List<string>();
        if (broken.Count > 0)
        {
            parts.Add($"inputs already broken ({string.Join(", ", broken)})");
        }

        if (within.Count > 0)
        {
            parts.Add($"inputs differ within tolerance ({string.Join(", ", within)})");
        }

        return string.Join("; ", parts);
    }

    /// <summary>Whether every one of <paramref name="keys"/> was compared in <paramref name="step"/> and is bit-identical.</summary>
    public static bool AllIdentical(StepDiff step, IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(keys);
        return keys.All(k => step.Tensors.FirstOrDefault(x => x.Key == k)?.Metrics?.Identical == true);
    }

    /// <summary>"1792 of 7168 values differ, at most 3 ulp": how far a non-identical tensor is from identity.</summary>
    public static string Differing(TensorMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return string.Create(CultureInfo.InvariantCulture, $"{m.DifferingValues} of {m.Elements} values differ, at most {m.MaxUlp} ulp");
    }

    private static string Where(TensorDiff t, long[] at) =>
        t.DimensionLabels is { } labels ? DimensionLabels.Describe(labels, at) : string.Join(", ", at);
}
