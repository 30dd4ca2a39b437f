using System.Text.Json;
using CsvHelper;
using Parity.Harness.Compare;

namespace Parity.Harness.Reports;

/// <summary>Writes a <see cref="RunDiff"/> as a per-tensor CSV (CsvHelper) and a JSON report for machines, atomically.</summary>
public static class DiffReportFiles
{
    public static IEnumerable<TensorRow> Rows(RunDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        foreach (var step in diff.Steps)
        {
            foreach (var t in step.Tensors)
            {
                var m = t.Metrics;
                yield return new TensorRow
                {
                    Step = step.Step,
                    Key = t.Key,
                    Name = t.Name,
                    Op = t.Op,
                    Layer = t.Layer,
                    Status = t.Status.ToString(),
                    NeA = t.NeA is null ? string.Empty : string.Join('x', t.NeA),
                    NeB = t.NeB is null ? string.Empty : string.Join('x', t.NeB),
                    Elements = m?.Elements,
                    DifferingValues = m?.DifferingValues,
                    MaxUlp = m?.MaxUlp,
                    MaxUlpAt = m is null || t.DimensionLabels is null ? string.Empty : DimensionLabels.Describe(t.DimensionLabels, m.MaxUlpAt),
                    Nmse = m?.Nmse,
                    SqnrDb = m?.SqnrDb,
                    Cosine = m?.Cosine,
                    MaxAbsError = m?.MaxAbsError,
                    MaxAbsErrorAt = m is null || t.DimensionLabels is null ? string.Empty : DimensionLabels.Describe(t.DimensionLabels, m.MaxAbsErrorAt),
                    MeanAbsError = m?.MeanAbsError,
                    MaxRelError = m?.MaxRelError,
                    OutsideAtolRtol = m?.OutsideAtolRtol,
                    RmsA = m?.A.Rms,
                    RmsB = m?.B.Rms,
                    MeanA = m?.A.Mean,
                    MeanB = m?.B.Mean,
                    MinA = m?.A.Min,
                    MaxA = m?.A.Max,
                    MinB = m?.B.Min,
                    MaxB = m?.B.Max,
                    NaNA = m?.A.NaN,
                    NaNB = m?.B.NaN,
                    InfA = m?.A.Inf,
                    InfB = m?.B.Inf,
                    Tolerance = t.Rule?.Bound ?? string.Empty,
                    Rule = t.Rule?.Regime ?? string.Empty,
                    Note = t.Note ?? string.Empty,
                };
            }
        }
    }

    public static void WriteCsv(RunDiff diff, string path) => Atomic(path, stream =>
    {
        using var csv = CsvWriter.Create(stream, leaveOpen: true);
        csv.WriteRecords(Rows(diff));
    });

    public static void WriteJson(RunDiff diff, string path) => Atomic(path, stream =>
    {
        ArgumentNullException.ThrowIfNull(diff);
        var first = diff.FirstFailure;
        JsonSerializer.Serialize(stream, new
        {
            schemaVersion = MachineJson.SchemaVersion,
            passed = diff.Passed,
            a = diff.DirectoryA,
            b = diff.DirectoryB,
            producerA = diff.ManifestA.Producer,
            producerB = diff.ManifestB.Producer,
            model = diff.ManifestB.Model,
            weightType = diff.WeightType,
            kvCache = diff.KvCache,
            numerics = diff.Numerics,
            regime = diff.Regime,
            candidateExact = diff.CandidateExact,
            allowedDifferences = diff.AllowedDifferences,
            nameMap = diff.NameMap,
            verdict = FailureDescription.FirstFailure(diff),
            divergence = diff.Divergence is { } d ? new { step = d.Step, tokensA = d.TokensA, tokensB = d.TokensB, stepsNotCompared = d.StepsNotCompared, hint = d.Describe() } : null,
            firstFailure = first is null ? null : new
            {
                step = first.Value.Step.Step,
                key = first.Value.Tensor.Key,
                status = first.Value.Tensor.Status,
                differingValues = first.Value.Tensor.Metrics?.DifferingValues,
                maxUlp = first.Value.Tensor.Metrics?.MaxUlp,
                nmse = first.Value.Tensor.Metrics?.Nmse,
                tolerance = first.Value.Tensor.Rule?.Bound,
                note = first.Value.Tensor.Note,
            },
            steps = diff.Steps.Select(s => new { step = s.Step, tokens = s.Tokens, positions = s.Positions, passed = s.Passed, logits = s.Logits }),
            tensors = Rows(diff),
        }, MachineJson.Options);
    });

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> atomically, as the CSV and JSON reports.</summary>
    public static void WriteText(string path, string text) => Atomic(path, stream =>
    {
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    });

    private static void Atomic(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.tmp-{Environment.ProcessId}";
        try
        {
            using (var stream = File.Create(temp))
            {
                write(stream);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
