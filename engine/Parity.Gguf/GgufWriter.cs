using System.Buffers.Binary;
using System.Text;

namespace Parity.Gguf;

/// <summary>
/// Writes GGUF files that llama.cpp loads: metadata in the order added, tensor infos in the order added, each
/// tensor's data at the next multiple of the alignment (<c>general.alignment</c> when set, else 32), zero padding.
/// Tensor data is streamed from its source, so a multi-gigabyte model is never held in memory.
/// Files are written to a temporary path beside the target and renamed when complete.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GgufWriter(uint version = 3)
    {
        if (version is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "GGUF version 2 or 3");
        }

        Version = version;
    }

    public uint Version { get; }

    public uint Alignment =>
        _metadata.FirstOrDefault(p => p.Key == GgufKeys.Alignment).Value is { Raw: uint a } ? a : 32u;

    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata => _metadata;

    /// <summary>A writer holding the same metadata and tensors as <paramref name="file"/> (data read from its map while writing).</summary>
    public static GgufWriter CopyOf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var writer = new GgufWriter(file.Version);
        foreach (var (key, value) in file.Metadata)
        {
            writer.Add(key, value);
        }

        foreach (var t in file.Tensors)
        {
            var tensor = t;
            writer.AddTensor(t.Name, t.Type, t.Dimensions, s => s.Write(file.GetTensorBytes(tensor)));
        }

        return writer;
    }

    public GgufWriter Add(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!_keys.Add(key))
        {
            throw new ArgumentException($"metadata key '{key}' added twice", nameof(key));
        }

        if (key == GgufKeys.Alignment && (value.Raw is not uint a || a == 0 || (a & (a - 1)) != 0))
        {
            throw new ArgumentException($"{GgufKeys.Alignment} must be a u32 power of two", nameof(value));
        }

        _metadata.Add(new(key, value));
        return this;
    }

    public GgufWriter AddTensor(string name, GgmlType type, IReadOnlyList<long> dimensions, ReadOnlyMemory<byte> data) =>
        AddTensor(name, type, dimensions, s => s.Write(data.Span));

    /// <summary>Adds a tensor whose data <paramref name="writeData"/> streams; it must write exactly the tensor's byte size.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, IReadOnlyList<long> dimensions, Action<Stream> writeData)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(writeData);
        if (Encoding.UTF8.GetByteCount(name) > GgufLimits.MaxTensorNameBytes)
        {
            throw new ArgumentException($"tensor name '{name}' is longer than {GgufLimits.MaxTensorNameBytes} bytes", nameof(name));
        }

        if (dimensions.Count > GgufLimits.MaxDimensions || dimensions.Any(d => d < 0))
        {
            throw new ArgumentException($"tensor '{name}': 0..{GgufLimits.MaxDimensions} non-negative dimensions expected", nameof(dimensions));
        }

        var info = GgmlTypeInfo.Get(type);
        if (dimensions.Count > 0 && dimensions[0] % info.BlockSize != 0)
        {
            throw new ArgumentException($"tensor '{name}': ne[0] = {dimensions[0]} is not a multiple of {info.BlockSize}, the block size of {info.GgmlName}", nameof(dimensions));
        }

        if (!_names.Add(name))
        {
            throw new ArgumentException($"tensor '{name}' added twice", nameof(name));
        }

        var elements = dimensions.Aggregate(1L, (a, d) => checked(a * d));
        _tensors.Add(new PendingTensor(name, type, [.. dimensions], info.RowBytes(elements), writeData));
        return this;
    }

    /// <summary>The bytes of tensor data the file will hold, without padding.</summary>
    public long TensorBytes => _tensors.Sum(t => t.ByteSize);

    /// <summary>Writes the file atomically: to <c>path.tmp-*</c> first, renamed over <paramref name="path"/> when complete.</summary>
    /// <param name="tensorBytesWritten">Told the tensor bytes written so far (of <see cref="TensorBytes"/>) after each tensor.</param>
    public void WriteTo(string path, IProgress<long>? tensorBytesWritten = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteTo(file, tensorBytesWritten);
                file.Flush(flushToDisk: false);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public void WriteTo(Stream stream, IProgress<long>? tensorBytesWritten = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var alignment = Alignment;
        var header = new MemoryStream();
        WriteU32(header, GgufHeaderParser.Magic);
        WriteU32(header, Version);
        WriteU64(header, (ulong)_tensors.Count);
        WriteU64(header, (ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(header, key);
            WriteU32(header, (uint)value.Type);
            WriteValue(header, value);
        }

        var offset = 0L;
        foreach (var t in _tensors)
        {
            WriteString(header, t.Name);
            WriteU32(header, (uint)t.Dimensions.Length);
            foreach (var d in t.Dimensions)
            {
                WriteU64(header, (ulong)d);
            }

            WriteU32(header, (uint)t.Type);
            WriteU64(header, (ulong)offset);
            offset = GgufFile.AlignUp(offset + t.ByteSize, alignment);
        }

        header.WriteTo(stream);

        // A file without tensors ends with its header (gguf-py writes vocabulary-only files this way).
        if (_tensors.Count > 0)
        {
            WritePadding(stream, header.Length, alignment);
        }
        var written = 0L;
        foreach (var t in _tensors)
        {
            var counter = new CountingStream(stream);
            t.WriteData(counter);
            if (counter.Count != t.ByteSize)
            {
                throw new InvalidOperationException($"tensor '{t.Name}': the data source wrote {counter.Count} bytes, expected {t.ByteSize}");
            }

            WritePadding(stream, t.ByteSize, alignment);
            written += t.ByteSize;
            tensorBytesWritten?.Report(written);
        }
    }

    private static void WritePadding(Stream stream, long written, uint alignment)
    {
        var pad = GgufFile.AlignUp(written, alignment) - written;
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        while (pad > 0)
        {
            var n = (int)Math.Min(pad, zeros.Length);
            stream.Write(zeros[..n]);
            pad -= n;
        }
    }

    private static void WriteValue(Stream s, GgufValue value)
    {
        switch (value.Raw)
        {
            case byte v: s.WriteByte(v); break;
            case sbyte v: s.WriteByte((byte)v); break;
            case ushort v: WriteU16(s, v); break;
            case short v: WriteU16(s, (ushort)v); break;
            case uint v: WriteU32(s, v); break;
            case int v: WriteU32(s, (uint)v); break;
            case float v: WriteU32(s, BitConverter.SingleToUInt32Bits(v)); break;
            case bool v: s.WriteByte(v ? (byte)1 : (byte)0); break;
            case string v: WriteString(s, v); break;
            case ulong v: WriteU64(s, v); break;
            case long v: WriteU64(s, (ulong)v); break;
            case double v: WriteU64(s, BitConverter.DoubleToUInt64Bits(v)); break;
            case Array a:
                WriteU32(s, (uint)value.ElementType);
                WriteU64(s, (ulong)a.Length);
                WriteArrayElements(s, value, a);
                break;
            default:
                throw new InvalidOperationException($"cannot write a metadata value of CLR type {value.Raw.GetType()}");
        }
    }

    private static void WriteArrayElements(Stream s, GgufValue value, Array a)
    {
        switch (a)
        {
            case byte[] v: s.Write(v); break;
            case GgufValue[] nested:
                // No per-element type tag: the outer array's element type (array) says it.
                foreach (var inner in nested)
                {
                    WriteValue(s, inner);
                }

                break;
            case string[] strings:
                foreach (var str in strings)
                {
                    WriteString(s, str);
                }

                break;
            case bool[] bools:
                foreach (var b in bools)
                {
                    s.WriteByte(b ? (byte)1 : (byte)0);
                }

                break;
            default:
                // Fixed-size numeric elements: the in-memory little-endian bytes are the file bytes.
                foreach (var element in a)
                {
                    WriteValue(s, ScalarOf(value.ElementType, element));
                }

                break;
        }
    }

    private static GgufValue ScalarOf(GgufValueType type, object element) => type switch
    {
        GgufValueType.Int8 => GgufValue.Of((sbyte)element),
        GgufValueType.UInt16 => GgufValue.Of((ushort)element),
        GgufValueType.Int16 => GgufValue.Of((short)element),
        GgufValueType.UInt32 => GgufValue.Of((uint)element),
        GgufValueType.Int32 => GgufValue.Of((int)element),
        GgufValueType.Float32 => GgufValue.Of((float)element),
        GgufValueType.UInt64 => GgufValue.Of((ulong)element),
        GgufValueType.Int64 => GgufValue.Of((long)element),
        GgufValueType.Float64 => GgufValue.Of((double)element),
        _ => throw new InvalidOperationException($"unexpected array element type {type}"),
    };

    private static void WriteString(Stream s, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteU64(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteU16(Stream s, ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        s.Write(b);
    }

    private static void WriteU32(Stream s, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        s.Write(b);
    }

    private static void WriteU64(Stream s, ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        s.Write(b);
    }

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, long ByteSize, Action<Stream> WriteData);
}
