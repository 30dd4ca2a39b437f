using Parity.Dump;
using Parity.Harness.Compare;
using Parity.Harness.Graph;

namespace Parity.Harness.Bisect;

/// <summary>
/// Teacher forcing for an engine that names its tensors its own way: llama.cpp's values rewritten under the engine's
/// names and shapes, so the engine can force them without knowing llama.cpp's. Pairs come from the engine's own
/// free-running dump through its name map, exactly as the diff pairs them. Every tensor of that dump is written, in
/// its order (so each name's occurrences keep their numbers): llama.cpp's values where a pair exists and has the
/// engine's element count (or llama.cpp's padded KV length, trimmed), the engine's own elsewhere.
/// </summary>
public static class ForcingDump
{
    /// <summary>Writes the forcing dump to <paramref name="directory"/>; returns it with the engine keys that carry llama.cpp's values and that <paramref name="force"/> selects.</summary>
    /// <param name="force">Selects by llama.cpp key (as the built-in engine's forcing does).</param>
    public static (DumpRun Run, IReadOnlySet<string> Forced) Write(DumpRun reference, DumpRun engineRun, NameMap? names, GraphDescriptor graph, Func<string, bool> force, string directory)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(engineRun);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(force);
        var m = engineRun.Manifest;
        var info = new DumpRunInfo
        {
            Producer = reference.Manifest.Producer,
            Model = m.Model,
            Prompt = m.Prompt,
            Options = m.Options,
            Notes = new Dictionary<string, string> { ["forcing"] = $"{reference.Directory} under the names of {engineRun.Directory}" },
        };
        var forced = new HashSet<string>(StringComparer.Ordinal);
        using var writer = DumpRunWriter.Create(directory, info);
        var steps = Math.Min(engineRun.StepCount, reference.StepCount);
        for (var i = 0; i < steps; i++)
        {
            using var own = engineRun.OpenStep(i);
            using var theirs = reference.OpenStep(i);
            using var step = writer.BeginStep(i);
            var pairs = Pairs(own, theirs, graph, names);
            foreach (var e in own.Tensors)
            {
                var values = pairs.TryGetValue(e.Key, out var r) ? Reference(theirs, r, e, names) : null;
                if (values is not null && force(r!.Key))
                {
                    forced.Add(e.Key);
                }

                step.Add(e.Name, e.Op, values ?? own.ToFloat32Array(e), [.. e.Ne]);
            }

            step.Complete(own.Manifest.Tokens, own.Manifest.Positions, own.Manifest.GeneratedTokens);
        }

        writer.Complete(reference.GeneratedTokens);
        return (DumpRun.Open(writer.RunDirectory), forced);
    }

    // Engine key → llama.cpp entry, as the diff pairs them.
    private static Dictionary<string, DumpTensorEntry> Pairs(DumpStep own, DumpStep theirs, GraphDescriptor graph, NameMap? names)
    {
        var find = DumpDiffer.CandidateIndex(own, graph, names);
        var pairs = new Dictionary<string, DumpTensorEntry>(StringComparer.Ordinal);
        foreach (var r in theirs.Tensors)
        {
            if (find(r.Key) is { } e)
            {
                pairs.TryAdd(e.Key, r);
            }
        }

        return pairs;
    }

    private static float[]? Reference(DumpStep theirs, DumpTensorEntry r, DumpTensorEntry own, NameMap? names)
    {
        if (r.DType == DumpDType.I32 || own.DType == DumpDType.I32)
        {
            return null;
        }

        // Trimmed to the candidate's shape as llama.cpp lays it out, then taken back into the candidate's own layout.
        if (names?.LayoutFor(own) is not { } layout)
        {
            return Trimmed(theirs.ToFloat32Array(r), r.Ne, own.Ne);
        }

        var where = names.LayoutSource(own);
        var values = Trimmed(theirs.ToFloat32Array(r), r.Ne, layout.Shape(own.Ne, where));
        return values is null ? null : layout.Invert(values, own.Ne, where);
    }

    private static float[]? Trimmed(float[] values, IReadOnlyList<long> ne, IReadOnlyList<long> target)
    {
        var count = target.Aggregate(1L, (a, b) => a * b);
        if (values.Length == count)
        {
            return values;
        }

        // llama.cpp pads the KV length of kq / kq_soft_max: keep the attended columns of every row.
        if (ne.Count == target.Count && ne[0] > target[0] && ne.Skip(1).SequenceEqual(target.Skip(1)))
        {
            var trimmed = new float[count];
            PaddedRows.CopyLeading(values, (int)ne[0], trimmed, (int)target[0]);
            return trimmed;
        }

        return null;
    }
}
