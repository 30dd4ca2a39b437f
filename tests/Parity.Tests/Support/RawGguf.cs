using System.Buffers.Binary;
using System.Text;

namespace Parity.Tests.Support;

/// <summary>
/// Writes GGUF bytes field by field with no validation, so tests can build every kind of malformed file.
/// Records the offset where each named section starts, for truncation at section boundaries.
/// </summary>
public sealed class RawGguf
{
    private readonly List<byte> _bytes = [];

    public List<(string Section, long Offset)> Boundaries { get; } = [];

    public long Length => _bytes.Count;

    public RawGguf Mark(string section)
    {
        Boundaries.Add((section, _bytes.Count));
        return this;
    }

    public RawGguf Bytes(ReadOnlySpan<byte> b)
    {
        _bytes.AddRange(b);
        return this;
    }

    public RawGguf U8(byte v) => Bytes([v]);

    public RawGguf U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return Bytes(b);
    }

    public RawGguf U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return Bytes(b);
    }

    public RawGguf F32(float v) => U32(BitConverter.SingleToUInt32Bits(v));

    public RawGguf Str(string s) => RawStr(Encoding.UTF8.GetBytes(s));

    public RawGguf RawStr(byte[] utf8) => U64((ulong)utf8.Length).Bytes(utf8);

    public RawGguf Header(uint version, ulong tensors, ulong kvs) => Mark("magic").U32(0x46554747).Mark("version").U32(version).Mark("counts").U64(tensors).U64(kvs);

    public RawGguf KvU32(string key, uint v) => Mark($"kv {key}").Str(key).U32(4).U32(v);

    public RawGguf KvStr(string key, string v) => Mark($"kv {key}").Str(key).U32(8).Str(v);

    public RawGguf TensorInfo(string name, uint type, ulong offset, params ulong[] dims)
    {
        Mark($"tensor info {name}").Str(name).U32((uint)dims.Length);
        foreach (var d in dims)
        {
            U64(d);
        }

        return U32(type).U64(offset);
    }

    public RawGguf PadTo(int alignment)
    {
        while (_bytes.Count % alignment != 0)
        {
            _bytes.Add(0);
        }

        return this;
    }

    public RawGguf Zeros(int n) => Bytes(new byte[n]);

    public byte[] ToArray() => _bytes.ToArray();
}
