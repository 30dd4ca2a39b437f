using Parity.Dump;

namespace Parity.Tests.Support;

/// <summary>Hand-edits a dump: copies a run, letting a function replace the values of chosen tensors.</summary>
internal static class DumpEditor
{
    /// <param name="edit">(step, entry, values) → new values, or null to copy the tensor unchanged.</param>
    /// <param name="editRun">Changes the run's manifest (model identity, options, notes); null keeps it.</param>
    /// <param name="rename">A tensor's new name (its occurrence follows from the order of names); null keeps them.</param>
    public static string Rewrite(string source, string destination, Func<int, DumpTensorEntry, float[], DumpStep, float[]?> edit, Func<DumpRunInfo, DumpRunInfo>? editRun = null, Func<DumpTensorEntry, string>? rename = null)
    {
        var run = DumpRun.Open(source);
        var m = run.Manifest;
        var info = new DumpRunInfo { Producer = m.Producer, Model = m.Model, Prompt = m.Prompt, Options = m.Options, Notes = m.Notes };
        using var writer = DumpRunWriter.Create(destination, editRun is null ? info : editRun(info));
        for (var i = 0; i < run.StepCount; i++)
        {
            using var step = run.OpenStep(i);
            using var w = writer.BeginStep(step.Step);
            foreach (var e in step.Tensors)
            {
                var values = step.ToFloat32Array(e);
                w.Add(rename?.Invoke(e) ?? e.Name, e.Op, edit(step.Step, e, values, step) ?? values, e.Ne.ToArray(), e.MadeContiguous);
            }

            w.Complete(step.Manifest.Tokens, step.Manifest.Positions, step.Manifest.GeneratedTokens);
        }

        writer.Complete(run.GeneratedTokens);
        return destination;
    }
}
