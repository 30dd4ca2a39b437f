using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Parity.Gguf;

namespace Parity.Benchmarks;

/// <summary>
/// GB/s of weights read, or G multiply-accumulates per second, from a benchmark's mean time: the units the performance
/// issue states its goals in (bandwidth for generation, arithmetic for prompts).
/// </summary>
public sealed class ThroughputColumn(ThroughputColumn.Measure measure) : IColumn
{
    public enum Measure
    {
        GigabytesPerSecond,
        GigaMacsPerSecond,
    }

    public string Id => $"{nameof(ThroughputColumn)}.{measure}";

    public string ColumnName => measure == Measure.GigabytesPerSecond ? "GB/s" : "GMAC/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => measure == Measure.GigabytesPerSecond ? "Weight bytes read per second, 1e9" : "Multiply-accumulates per second, 1e9 (tokens x weights)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats || benchmarkCase.Parameters["Type"] is not GgmlType type)
        {
            return "-";
        }

        var seconds = stats.Mean / 1e9;
        var tokens = benchmarkCase.Descriptor.WorkloadMethod.Name.StartsWith(nameof(KernelBenchmarks.FourTokens), StringComparison.Ordinal) ? 4 : 1;
        var value = measure == Measure.GigabytesPerSecond
            ? (double)WeightRows.Rows * WeightRows.BytesPerRow(type) / seconds / 1e9
            : (double)tokens * WeightRows.Rows * WeightRows.Cols / seconds / 1e9;
        return value.ToString("F1", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
