using System.Buffers.Binary;
using System.Text.Json;

namespace Parity.Tests.Support;

/// <summary>
/// An independent reader written from the safetensors spec alone (u64 little-endian header length, a JSON header of
/// name → {dtype, shape, data_offsets}, offsets relative to the byte after the header), so tests check our dumps
/// with no code of the dump library.
/// </summary>
internal sealed class MinimalSafetensors
{
    private readonly byte[] _bytes;
    private readonly long _dataStart;

    public MinimalSafetensors(string path)
    {
        _bytes = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(_bytes);
        _dataStart = 8 + headerLength;
        using var json = JsonDocument.Parse(_bytes.AsMemory(8, (int)headerLength));
        foreach (var entry in json.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                continue;
            }

            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Tensors[entry.Name] = (
                entry.Value.GetProperty("dtype").GetString()!,
                [.. entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64())],
                offsets[0],
                offsets[1]);
        }
    }

    public Dictionary<string, (string DType, long[] Shape, long Begin, long End)> Tensors { get; } = new(StringComparer.Ordinal);

    public float[] F32(string name)
    {
        var t = Tensors[name];
        Assert.That(t.DType, Is.EqualTo("F32"), name);
        var span = _bytes.AsSpan((int)(_dataStart + t.Begin), (int)(t.End - t.Begin));
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(span).ToArray();
    }
}
