using Parity.Dump;
using Parity.Engine.Tracing;
using Parity.Harness.Compare;

namespace Parity.Harness.Bisect;

/// <summary>
/// Teacher forcing through the engine's trace: records every tensor the engine makes (its own values, into a step of
/// a dump), then, for the tensors whose keys <paramref name="force"/> selects, overwrites the engine's buffer with the reference
/// dump's values, so the ops after it run on the reference's inputs. Forcing every tensor makes each recorded tensor
/// the output of one engine op on llama.cpp's exact inputs: its local error.
/// </summary>
public sealed class ForcingSink(DumpStepWriter writer, DumpStep reference, Func<string, bool> force, Func<string, bool>? filter = null) : ITensorSink
{
    private string? _lastKey;

    /// <summary>Keys of the tensors whose values were replaced by the reference's.</summary>
    public List<string> Forced { get; } = [];

    public bool Wants(string name) => filter is null || filter(name);

    public void Tensor(string name, string op, ReadOnlySpan<float> data, ReadOnlySpan<long> ne) =>
        _lastKey = writer.Add(name, op, data, ne).Key;

    public void Indices(string name, string op, ReadOnlySpan<int> data, ReadOnlySpan<long> ne) =>
        _lastKey = writer.Add(name, op, data, ne).Key;

    /// <summary>The reference's expert choice in place of the engine's, so the experts after it run on llama.cpp's routing.</summary>
    public bool ReplaceIndices(string name, string op, Span<int> data, ReadOnlySpan<long> ne)
    {
        if (_lastKey is null || !force(_lastKey) || !reference.TryGet(_lastKey, out var entry) || entry.DType != DumpDType.I32 || entry.ElementCount != data.Length)
        {
            return false;
        }

        reference.GetInt32s(entry).CopyTo(data);
        Forced.Add(_lastKey);
        return true;
    }

    public bool Replace(string name, string op, Span<float> data, ReadOnlySpan<long> ne)
    {
        if (_lastKey is null || !force(_lastKey) || !reference.TryGet(_lastKey, out var entry) || entry.DType != DumpDType.F32)
        {
            return false;
        }

        if (entry.ElementCount == data.Length)
        {
            reference.ReadFloats(entry, data);
        }
        else if (entry.Ne[0] > ne[0] && entry.Ne[1] == ne[1] && entry.Ne[2] == ne[2] && entry.Ne[3] == ne[3])
        {
            // llama.cpp pads the KV length of kq / kq_soft_max: take the attended columns of every row.
            PaddedRows.CopyLeading(reference.GetFloats(entry), (int)entry.Ne[0], data, (int)ne[0]);
        }
        else
        {
            return false;
        }

        Forced.Add(_lastKey);
        return true;
    }
}
