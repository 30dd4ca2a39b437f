using Parity.Dump;

namespace Parity.TestEngine;

/// <summary>
/// Records each tensor the forward pass makes into the step's dump, then, under teacher forcing, replaces the values
/// the pass carries on with by the forcing dump's (the protocol's <c>forceFrom</c>), so every op after a forced tensor
/// runs on the reference's values.
/// </summary>
internal sealed class Trace(DumpStepWriter writer, DumpStep? forceFrom, IReadOnlySet<string>? force)
{
    /// <summary>Keys whose values were replaced in this step.</summary>
    public List<string> Forced { get; } = [];

    /// <summary>Writes <paramref name="values"/> as <paramref name="name"/> with ggml's <paramref name="ne"/>, then forces them when asked to.</summary>
    public void Record(string name, string op, float[] values, params long[] ne)
    {
        var key = writer.Add(name, op, values, ne).Key;
        if (forceFrom is null || (force is not null && !force.Contains(key)) || !forceFrom.TryGet(key, out var entry))
        {
            return;
        }

        Overwrite(values, entry, ne);
        Forced.Add(key);
    }

    private void Overwrite(float[] values, DumpTensorEntry entry, long[] ne)
    {
        if (entry.ElementCount == values.Length)
        {
            forceFrom!.CopyAsFloat32(entry, values);
            return;
        }

        // Attention scores and probabilities over more KV cells (llama.cpp pads its n_kv): the leading cells of each row.
        if (ne.Length == 3 && entry.Ne[0] > ne[0] && entry.Ne[1] == ne[1] && entry.Ne[2] == ne[2])
        {
            var padded = forceFrom!.ToFloat32Array(entry);
            for (var r = 0; r < ne[1] * ne[2]; r++)
            {
                padded.AsSpan((int)(r * entry.Ne[0]), (int)ne[0]).CopyTo(values.AsSpan((int)(r * ne[0])));
            }

            return;
        }

        throw new BadRequestException(
            $"forceFrom {forceFrom!.Directory}: tensor '{entry.Key}' has ne {DumpTensorEntry.FormatDims(entry.Ne)}; this engine's has [{string.Join(", ", ne)}] ({values.Length} values)");
    }
}
