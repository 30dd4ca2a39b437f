using Parity.Gguf;
using Parity.Harness.Synthetic;

namespace Parity.Tests.Support;

/// <summary>Model files made wrong on purpose, through the GGUF writer.</summary>
public static class GgufEdits
{
    /// <summary>The micro model, copied with its metadata and tensors edited.</summary>
    public static string Micro(string path, Func<string, GgufValue, GgufValue>? value = null, Func<string, string>? key = null, (string Name, int Length)? extraTensor = null, (string Key, GgufValue Value)? extraKey = null) =>
        Copy(Models.Synthetic(SyntheticPresets.Micro), path, value, key, extraTensor, extraKey);

    /// <summary>
    /// <paramref name="sourcePath"/> copied to <paramref name="path"/> with metadata values and keys edited, a key
    /// added (it replaces one of the same name) and an F32 tensor added.
    /// </summary>
    public static string Copy(string sourcePath, string path, Func<string, GgufValue, GgufValue>? value = null, Func<string, string>? key = null, (string Name, int Length)? extraTensor = null, (string Key, GgufValue Value)? extraKey = null)
    {
        using var source = GgufFile.Open(sourcePath);
        var writer = new GgufWriter(source.Version);
        foreach (var (k, v) in source.Metadata.Where(m => m.Key != extraKey?.Key))
        {
            writer.Add(key?.Invoke(k) ?? k, value?.Invoke(k, v) ?? v);
        }

        if (extraKey is { } extra)
        {
            writer.Add(extra.Key, extra.Value);
        }

        foreach (var t in source.Tensors)
        {
            var tensor = t;
            writer.AddTensor(t.Name, t.Type, t.Dimensions, s => s.Write(source.GetTensorBytes(tensor)));
        }

        if (extraTensor is { } bias)
        {
            writer.AddTensor(bias.Name, GgmlType.F32, [bias.Length], new byte[bias.Length * 4]);
        }

        writer.WriteTo(path);
        return path;
    }
}
