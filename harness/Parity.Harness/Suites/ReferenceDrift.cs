using Parity.Dump;
using Parity.Harness.Compare;

namespace Parity.Harness.Suites;

/// <summary>
/// Compares two llama.cpp dumps of the same model and prompt exactly: the new golden against the old one
/// (<c>parity regen</c>) or one build against another (<c>parity drift</c>), so both report the same outcome for the
/// same pair. Steps are compared while the greedy tokens agree (step k runs the token step k-1 chose).
/// </summary>
public static class ReferenceDrift
{
    /// <summary>Null when the prompts differ (nothing is comparable); else the case's drift of <paramref name="newer"/> against <paramref name="older"/>.</summary>
    public static CaseDrift? Compare(string name, DumpRun older, DumpRun newer, IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        if (!older.Manifest.Prompt.Tokens.SequenceEqual(newer.Manifest.Prompt.Tokens))
        {
            return null;
        }

        var sameTokens = 1 + older.GeneratedTokens.Zip(newer.GeneratedTokens).TakeWhile(p => p.First == p.Second).Count();
        var diff = new DumpDiffer(ExactPolicy.Instance, pairing: new PairingOptions(AllowDifferentModel: true)).Diff(newer.Directory, older.Directory, progress, maxSteps: sameTokens);
        var compared = diff.Steps.SelectMany(s => s.Tensors).Where(t => t.Status != TensorStatus.NotCompared).ToList();
        var moved = diff.Steps.SelectMany(s => s.Tensors.Where(t => t.IsFailure).Select(t => Entry(name, s.Step, t))).ToList();
        return new CaseDrift
        {
            Name = name,
            Compared = compared.Count,
            Moved = moved,
            Layers = Layers(compared, moved),
            TokenChange = TokenChange(older, newer),
        };
    }

    private static DriftEntry Entry(string name, int step, TensorDiff t) =>
        new(name, step, t.Key, t.Status.ToString(), t.Metrics?.Nmse ?? double.NaN, t.Metrics?.MaxAbsError ?? double.NaN, t.Op, t.Layer);

    private static List<LayerDrift> Layers(IReadOnlyList<TensorDiff> compared, IReadOnlyList<DriftEntry> moved) =>
        [.. compared.GroupBy(t => t.Layer)
            .OrderBy(g => g.Key ?? int.MaxValue)
            .Select(g =>
            {
                var inLayer = moved.Where(m => m.Layer == g.Key).ToList();
                var maxAbs = inLayer.Select(m => m.MaxAbsError).Where(v => !double.IsNaN(v)).DefaultIfEmpty(0).Max();
                return new LayerDrift(g.Key, g.Count(), inLayer.Count, inLayer.FirstOrDefault(), maxAbs);
            })];

    private static string? TokenChange(DumpRun older, DumpRun newer) =>
        older.StepCount != newer.StepCount ? $"{older.StepCount} steps -> {newer.StepCount} (the first {Math.Min(older.StepCount, newer.StepCount)} compared)"
        : !older.GeneratedTokens.SequenceEqual(newer.GeneratedTokens) ? $"greedy tokens [{string.Join(' ', older.GeneratedTokens)}] -> [{string.Join(' ', newer.GeneratedTokens)}] (steps compared while the tokens agree)"
        : null;
}
