using System.Text.Json.Serialization;
using CsvHelper;

namespace Parity.Harness.Reports;

/// <summary>One row of the per-tensor CSV report (flat, for spreadsheets and pandas); CsvHelper generates its writer.</summary>
[CsvRecord]
public sealed partial record TensorRow
{
    public int Step { get; init; }

    public string Key { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    public string Op { get; init; } = string.Empty;

    public int? Layer { get; init; }

    public string Status { get; init; } = string.Empty;

    public string NeA { get; init; } = string.Empty;

    public string NeB { get; init; } = string.Empty;

    public long? Elements { get; init; }

    /// <summary>Values whose bits differ between the sides.</summary>
    public long? DifferingValues { get; init; }

    /// <summary>The largest distance in units in the last place between finite values.</summary>
    public long? MaxUlp { get; init; }

    public string MaxUlpAt { get; init; } = string.Empty;

    public double? Nmse { get; init; }

    public double? SqnrDb { get; init; }

    public double? Cosine { get; init; }

    public double? MaxAbsError { get; init; }

    public string MaxAbsErrorAt { get; init; } = string.Empty;

    public double? MeanAbsError { get; init; }

    public double? MaxRelError { get; init; }

    public long? OutsideAtolRtol { get; init; }

    public double? RmsA { get; init; }

    public double? RmsB { get; init; }

    public double? MeanA { get; init; }

    public double? MeanB { get; init; }

    public double? MinA { get; init; }

    public double? MaxA { get; init; }

    public double? MinB { get; init; }

    public double? MaxB { get; init; }

    // "nanA", not the naming policy's "naNA".
    [JsonPropertyName("nanA")]
    public long? NaNA { get; init; }

    [JsonPropertyName("nanB")]
    public long? NaNB { get; init; }

    public long? InfA { get; init; }

    public long? InfB { get; init; }

    public string Tolerance { get; init; } = string.Empty;

    /// <summary>The rule that judged the tensor, and its regime: "exact, rule exact-ggml".</summary>
    public string Rule { get; init; } = string.Empty;

    public string Note { get; init; } = string.Empty;
}
