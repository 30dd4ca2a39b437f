using System.Text.RegularExpressions;

namespace Parity.Harness.Compare;

/// <summary>
/// One rule: tensors whose name matches <see cref="Pattern"/> (a glob: <c>*</c> any run, <c>?</c> one character),
/// for the listed weight types, KV cache types, numerics and attention configurations (null: any), and when <see cref="Exact"/> is set only where
/// the candidate does (or does not) declare that it reproduces the reference exactly. Statistic <c>identical</c> is the
/// exact regime: every value bit-identical. The others are tolerances: <see cref="Statistic"/> within <see cref="Max"/>
/// (for cosine: at least <see cref="Min"/>). Every rule says why its bound is what it is.
/// </summary>
public sealed record ToleranceRule
{
    public const string IdenticalStatistic = "identical";

    private Regex? _glob;

    /// <summary>A short name the report cites when it says which rule judged (exact-ggml, kquants-ggml).</summary>
    public string? Name { get; init; }

    public required string Pattern { get; init; }

    public IReadOnlyList<string>? WeightTypes { get; init; }

    public IReadOnlyList<string>? KvCache { get; init; }

    /// <summary>The candidate's numerics mode (<c>ggml</c> or <c>f32</c>, from its manifest notes); null: any.</summary>
    public IReadOnlyList<string>? Numerics { get; init; }

    /// <summary>
    /// True: the rule applies only where llama.cpp ran with flash attention (its V products accumulate in the cache's
    /// type, a rounding a plain-float candidate does not share); false: only without; null: either.
    /// </summary>
    public bool? FlashAttention { get; init; }

    /// <summary>
    /// True: the rule applies only where the candidate declares that it reproduces the reference bit for bit (its
    /// manifest's <c>exactFor</c> names the reference's build and library variant); false: only where it does not; null: either.
    /// </summary>
    public bool? Exact { get; init; }

    /// <summary>identical (the exact regime), nmse (default), maxAbs, or cosine.</summary>
    public string Statistic { get; init; } = "nmse";

    public double? Max { get; init; }

    public double? Min { get; init; }

    public required string Reason { get; init; }

    public bool IsIdentity => Statistic == IdenticalStatistic;

    /// <summary>"exact" or "tolerance", with the rule's name: what a report says judged it.</summary>
    public string Regime => (IsIdentity ? "exact" : "tolerance") + (Name is null ? string.Empty : $", rule {Name}");

    public bool Matches(string name, ComparisonContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (_glob ??= Glob(Pattern)).IsMatch(name)
            && (WeightTypes is null || WeightTypes.Contains(context.WeightType, StringComparer.OrdinalIgnoreCase))
            && (KvCache is null || KvCache.Contains(context.KvCache, StringComparer.OrdinalIgnoreCase))
            && (Numerics is null || Numerics.Contains(context.Numerics, StringComparer.OrdinalIgnoreCase))
            && (FlashAttention is null || FlashAttention == context.FlashAttention)
            && (Exact is null || Exact == context.CandidateExact);
    }

    public double Value(TensorMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return Statistic switch
        {
            IdenticalStatistic => m.DifferingValues,
            "nmse" => m.Nmse,
            "maxAbs" => m.MaxAbsError,
            "cosine" => m.Cosine,
            _ => throw new InvalidDataException($"tolerance statistic '{Statistic}' is not identical, nmse, maxAbs or cosine"),
        };
    }

    /// <summary>Whether <paramref name="m"/> meets the rule. A non-finite value never does, on either side.</summary>
    public bool Passes(TensorMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.HasNonFinite)
        {
            return false;
        }

        if (IsIdentity)
        {
            return m.Identical;
        }

        var v = Value(m);
        return !double.IsNaN(v) && (Max is null || v <= Max) && (Min is null || v >= Min);
    }

    public string Bound => IsIdentity ? "bit-identical" : Max is { } max ? $"{Statistic} ≤ {max:G3}" : $"{Statistic} ≥ {Min:G6}";

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
}
