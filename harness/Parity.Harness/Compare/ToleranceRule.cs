using System.Text.RegularExpressions;

namespace Parity.Harness.Compare;

/// <summary>
/// One tolerance: tensors whose name matches <see cref="Pattern"/> (a glob: <c>*</c> any run, <c>?</c> one
/// character), for the listed weight types and KV cache types (null: any), must keep <see cref="Statistic"/> within
/// <see cref="Max"/> (for cosine: at least <see cref="Min"/>). Every rule says why its bound is what it is.
/// </summary>
public sealed record ToleranceRule
{
    private Regex? _glob;

    public required string Pattern { get; init; }

    public IReadOnlyList<string>? WeightTypes { get; init; }

    public IReadOnlyList<string>? KvCache { get; init; }

    /// <summary>The candidate's numerics mode (<c>ggml</c> or <c>f32</c>, from its manifest notes); null: any.</summary>
    public IReadOnlyList<string>? Numerics { get; init; }

    /// <summary>nmse (default), maxAbs, or cosine.</summary>
    public string Statistic { get; init; } = "nmse";

    public double? Max { get; init; }

    public double? Min { get; init; }

    public required string Reason { get; init; }

    public bool Matches(string name, string weightType, string kvCache, string numerics = "f32") =>
        (_glob ??= Glob(Pattern)).IsMatch(name)
        && (WeightTypes is null || WeightTypes.Contains(weightType, StringComparer.OrdinalIgnoreCase))
        && (KvCache is null || KvCache.Contains(kvCache, StringComparer.OrdinalIgnoreCase))
        && (Numerics is null || Numerics.Contains(numerics, StringComparer.OrdinalIgnoreCase));

    public double Value(TensorMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return Statistic switch
        {
            "nmse" => m.Nmse,
            "maxAbs" => m.MaxAbsError,
            "cosine" => m.Cosine,
            _ => throw new InvalidDataException($"tolerance statistic '{Statistic}' is not nmse, maxAbs or cosine"),
        };
    }

    public bool Passes(TensorMetrics m)
    {
        var v = Value(m);
        return !double.IsNaN(v) && (Max is null || v <= Max) && (Min is null || v >= Min);
    }

    public string Bound => Max is { } max ? $"{Statistic} ≤ {max:G3}" : $"{Statistic} ≥ {Min:G6}";

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
}
