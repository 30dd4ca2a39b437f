namespace Parity.Gguf;

/// <summary>
/// A GGUF file (versions 2 and 3), memory-mapped. Opening parses and validates the header only; tensor data is
/// paged in by the OS when a tensor is first touched, so opening a multi-gigabyte model costs the header's size.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>Magic (4) + version (4) + tensor count (8) + metadata count (8).</summary>
    public const int FixedHeaderBytes = 24;

    private readonly ReadOnlyMappedFile _mapped;
    private readonly Dictionary<string, GgufValue> _metadataByKey;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;
    private readonly Dictionary<string, long> _valueOffsets;

    private GgufFile(string path, long length, ReadOnlyMappedFile mapped, GgufHeader header, IReadOnlyList<GgufTensorInfo> tensors)
    {
        Path = path;
        FileLength = length;
        _mapped = mapped;
        Version = header.Version;
        Alignment = header.Alignment;
        HeaderLength = header.HeaderEnd;
        DataOffset = AlignUp(header.HeaderEnd, header.Alignment);
        Metadata = header.Metadata;
        _metadataByKey = header.Metadata.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        _valueOffsets = header.ValueOffsets;
        Tensors = tensors;
        _tensorsByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    public long FileLength { get; }

    public uint Version { get; }

    public uint Alignment { get; }

    /// <summary>Bytes of header (up to the end of the last tensor info, before padding).</summary>
    public long HeaderLength { get; }

    /// <summary>File offset of the tensor data section (the header end rounded up to <see cref="Alignment"/>).</summary>
    public long DataOffset { get; }

    /// <summary>Metadata in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; }

    /// <summary>Tensor infos in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    public static GgufFile Open(string path, GgufLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits ??= GgufLimits.Default;
        var fullPath = System.IO.Path.GetFullPath(path);
        var length = new FileInfo(fullPath) is { Exists: true } fi ? fi.Length : throw new FileNotFoundException($"{path}: no such GGUF file", path);
        if (length < FixedHeaderBytes)
        {
            throw new GgufFormatException(path, length, "header", $"at least {FixedHeaderBytes} bytes (magic, version, tensor and metadata counts)", $"a file of {length} bytes");
        }

        var mapped = ReadOnlyMappedFile.Open(fullPath, length);
        try
        {
            var header = new GgufHeaderParser(mapped.BaseAddress, length, path, limits).Parse();
            var tensors = ValidateTensors(path, length, header);
            return new GgufFile(path, length, mapped, header, tensors);
        }
        catch
        {
            mapped.Dispose();
            throw;
        }
    }

    public bool TryGetValue(string key, out GgufValue value) => _metadataByKey.TryGetValue(key, out value!);

    /// <summary>The byte offset of <paramref name="key"/>'s value (its type field), or 0 when the file has no such key.</summary>
    public long ValueOffset(string key) => _valueOffsets.TryGetValue(key, out var at) ? at : 0;

    /// <summary>
    /// The value of <paramref name="key"/> when present (null when absent); of a type other than
    /// <paramref name="types"/>, an error naming the key, its offset and <paramref name="expected"/>, as llama.cpp's
    /// loader is strict about value types.
    /// </summary>
    public GgufValue? GetTyped(string key, string expected, params GgufValueType[] types)
    {
        ArgumentNullException.ThrowIfNull(types);
        if (!_metadataByKey.TryGetValue(key, out var v))
        {
            return null;
        }

        return types.Contains(v.Type) ? v : throw WrongValue(key, expected, v.IsArray ? $"an array of {v.ElementType}" : $"a {v.Type} value");
    }

    /// <summary>An error about <paramref name="key"/>'s value, at its offset.</summary>
    public GgufFormatException WrongValue(string key, string expected, string found) =>
        new(Path, ValueOffset(key), $"metadata '{key}'", expected, found);

    public GgufValue GetValue(string key) =>
        _metadataByKey.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"{Path}: metadata key '{key}' is missing");

    public bool TryGetTensor(string name, out GgufTensorInfo tensor) => _tensorsByName.TryGetValue(name, out tensor!);

    public GgufTensorInfo GetTensor(string name) =>
        _tensorsByName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{Path}: tensor '{name}' is missing");

    /// <summary>The tensor's bytes, straight from the map (no copy). Tensors over 2 GiB need <see cref="GetTensorPointer"/>.</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.ByteSize > int.MaxValue)
        {
            throw new NotSupportedException($"{Path}: tensor '{tensor.Name}' has {tensor.ByteSize} bytes, more than a span can hold; use GetTensorPointer");
        }

        return new ReadOnlySpan<byte>(GetTensorPointer(tensor), (int)tensor.ByteSize);
    }

    /// <summary>Pointer to the tensor's first byte in the map; valid until the file is disposed.</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return _mapped.BaseAddress + tensor.FileOffset;
    }

    public void Dispose() => _mapped.Dispose();

    internal static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    private static List<GgufTensorInfo> ValidateTensors(string path, long fileLength, GgufHeader header)
    {
        var dataOffset = AlignUp(header.HeaderEnd, header.Alignment);
        var dataLength = fileLength - dataOffset;
        if (header.Tensors.Count > 0 && dataLength < 0)
        {
            throw new GgufFormatException(path, fileLength, "tensor data", $"the data section to start at byte {dataOffset} (header end padded to {header.Alignment})", $"end of file at {fileLength}");
        }

        var result = new List<GgufTensorInfo>(header.Tensors.Count);
        foreach (var t in header.Tensors)
        {
            var elements = 1L;
            var rowBytes = 0L;
            try
            {
                foreach (var d in t.Dims)
                {
                    elements = checked(elements * d);
                }

                if (t.Dims.Length > 0 && t.Dims[0] % t.Info.BlockSize != 0)
                {
                    throw new GgufFormatException(path, t.DimsAt, $"tensor '{t.Name}' ne[0]", $"a multiple of {t.Info.BlockSize} (the block size of {t.Info.GgmlName})", t.Dims[0].ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                rowBytes = checked(elements / t.Info.BlockSize * t.Info.TypeSize);
            }
            catch (OverflowException)
            {
                throw new GgufFormatException(path, t.DimsAt, $"tensor '{t.Name}' dimensions", "a product of dimensions (and byte size) below 2^63", "[" + string.Join(", ", t.Dims) + "]");
            }

            if (t.Offset % header.Alignment != 0)
            {
                throw new GgufFormatException(path, t.OffsetAt, $"tensor '{t.Name}' offset", $"a multiple of the alignment {header.Alignment}", t.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (t.Offset > (ulong)Math.Max(0, dataLength) || (ulong)rowBytes > (ulong)dataLength - t.Offset)
            {
                throw new GgufFormatException(path, t.OffsetAt, $"tensor '{t.Name}' offset", $"{rowBytes} bytes of data within the {Math.Max(0, dataLength)}-byte data section (file truncated?)", $"offset {t.Offset}");
            }

            result.Add(new GgufTensorInfo(t.Name, t.Info.Type, t.Dims, t.Offset, dataOffset + (long)t.Offset, elements, rowBytes));
        }

        // Tensors may be listed in any order; their byte ranges must not overlap.
        var byOffset = result.Select((t, i) => (t, i)).Where(x => x.t.ByteSize > 0).OrderBy(x => x.t.RelativeOffset).ToList();
        for (var k = 1; k < byOffset.Count; k++)
        {
            var prev = byOffset[k - 1].t;
            var cur = byOffset[k].t;
            if (cur.RelativeOffset < prev.RelativeOffset + (ulong)prev.ByteSize)
            {
                throw new GgufFormatException(path, header.Tensors[byOffset[k].i].OffsetAt, $"tensor '{cur.Name}' offset", $"data not overlapping tensor '{prev.Name}' (bytes {prev.RelativeOffset}..{prev.RelativeOffset + (ulong)prev.ByteSize} of the data section)", $"offset {cur.RelativeOffset}");
            }
        }

        return result;
    }
}
