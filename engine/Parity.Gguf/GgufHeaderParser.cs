using System.Buffers.Binary;
using System.Text;

namespace Parity.Gguf;

/// <summary>
/// Reads the GGUF header (magic, counts, metadata, tensor infos) from mapped memory. Every read is bounds-checked
/// against the file length first, and every count is checked against what the remaining bytes could hold before
/// anything is allocated from it, so a hostile file cannot make the reader allocate more than its own size.
/// </summary>
internal sealed unsafe class GgufHeaderParser
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian u32

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte* _base;
    private readonly long _length;
    private readonly string _path;
    private readonly GgufLimits _limits;
    private long _pos;

    public GgufHeaderParser(byte* data, long length, string path, GgufLimits limits)
    {
        _base = data;
        _length = length;
        _path = path;
        _limits = limits;
    }

    public long Position => _pos;

    public GgufHeader Parse()
    {
        var magic = ReadU32("magic", "the magic 'GGUF' (47 47 55 46)");
        if (magic != Magic)
        {
            throw Fail(0, "magic", "the magic 'GGUF' (47 47 55 46)", Hex(magic));
        }

        var version = ReadU32("version", "a version number");
        if (version is not (2 or 3))
        {
            var hint = BinaryPrimitives.ReverseEndianness(version) is 2 or 3 ? " (a big-endian file; only little-endian is supported)" : string.Empty;
            throw Fail(_pos - 4, "version", "version 2 or 3", version.ToString(System.Globalization.CultureInfo.InvariantCulture) + hint);
        }

        var tensorCountAt = _pos;
        var tensorCount = ReadU64("tensor_count", "a tensor count");
        var kvCountAt = _pos;
        var kvCount = ReadU64("metadata_kv_count", "a metadata count");

        // A metadata pair needs at least 8 (key length) + 4 (type) + 1 (value) bytes, a tensor info 8 + 4 + 4 + 8.
        CheckCount(kvCountAt, "metadata_kv_count", kvCount, _limits.MaxMetadataCount, 13);
        CheckCount(tensorCountAt, "tensor_count", tensorCount, _limits.MaxTensorCount, 24);

        var metadata = new List<KeyValuePair<string, GgufValue>>((int)kvCount);
        var valueOffsets = new Dictionary<string, long>(StringComparer.Ordinal);
        var seenKeys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0L; i < (long)kvCount; i++)
        {
            var keyAt = _pos;
            var key = ReadString($"metadata[{i}] key");
            if (key.Length == 0)
            {
                throw Fail(keyAt, $"metadata[{i}] key", "a non-empty key");
            }

            if (!seenKeys.Add(key))
            {
                throw Fail(keyAt, $"metadata[{i}] key", "a key not seen before", $"duplicate key '{key}'");
            }

            var typeAt = _pos;
            var type = ReadU32($"metadata '{key}' type", "a value type");
            var value = ReadValue(typeAt, (GgufValueType)type, $"metadata '{key}'", 0);
            metadata.Add(new(key, value));
            valueOffsets[key] = typeAt;
        }

        var alignment = 32u;
        var alignmentPair = metadata.FirstOrDefault(p => p.Key == GgufKeys.Alignment);
        if (alignmentPair.Value is { } alignmentValue)
        {
            if (alignmentValue.Type != GgufValueType.UInt32 || (uint)alignmentValue.Raw is var a && (a == 0 || (a & (a - 1)) != 0))
            {
                throw Fail(kvCountAt + 8, GgufKeys.Alignment, "a u32 power of two", $"{alignmentValue.Type} {alignmentValue}");
            }

            alignment = (uint)alignmentValue.Raw;
        }

        var tensors = new List<RawTensorInfo>((int)tensorCount);
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0L; i < (long)tensorCount; i++)
        {
            var nameAt = _pos;
            var name = ReadString($"tensor[{i}] name");
            if (Encoding.UTF8.GetByteCount(name) > GgufLimits.MaxTensorNameBytes)
            {
                throw Fail(nameAt, $"tensor[{i}] name", $"at most {GgufLimits.MaxTensorNameBytes} bytes (ggml's GGML_MAX_NAME)", $"{Encoding.UTF8.GetByteCount(name)} bytes");
            }

            if (!seenNames.Add(name))
            {
                throw Fail(nameAt, $"tensor[{i}] name", "a tensor name not seen before", $"duplicate tensor '{name}'");
            }

            var nDimsAt = _pos;
            var nDims = ReadU32($"tensor '{name}' n_dims", "a dimension count");
            if (nDims > GgufLimits.MaxDimensions)
            {
                throw Fail(nDimsAt, $"tensor '{name}' n_dims", $"at most {GgufLimits.MaxDimensions} dimensions", nDims.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var dims = new long[nDims];
            for (var d = 0; d < nDims; d++)
            {
                var dimAt = _pos;
                var dim = ReadU64($"tensor '{name}' ne[{d}]", "a dimension");
                if (dim > long.MaxValue)
                {
                    throw Fail(dimAt, $"tensor '{name}' ne[{d}]", "a dimension below 2^63", dim.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                dims[d] = (long)dim;
            }

            var typeAt = _pos;
            var rawType = ReadU32($"tensor '{name}' type", "a ggml type");
            if (!GgmlTypeInfo.TryGet((GgmlType)rawType, out var info))
            {
                throw Fail(typeAt, $"tensor '{name}' type", "a known ggml type", rawType.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var offsetAt = _pos;
            var offset = ReadU64($"tensor '{name}' offset", "a data offset");
            tensors.Add(new RawTensorInfo(name, info, dims, offset, nameAt, nDimsAt + 4, typeAt, offsetAt));
        }

        return new GgufHeader(version, metadata, valueOffsets, tensors, alignment, _pos);
    }

    private GgufValue ReadValue(long typeAt, GgufValueType type, string field, int depth)
    {
        switch (type)
        {
            case GgufValueType.UInt8: return GgufValue.Of(ReadBytes(1, field)[0]);
            case GgufValueType.Int8: return GgufValue.Of((sbyte)ReadBytes(1, field)[0]);
            case GgufValueType.UInt16: return GgufValue.Of(BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2, field)));
            case GgufValueType.Int16: return GgufValue.Of(BinaryPrimitives.ReadInt16LittleEndian(ReadBytes(2, field)));
            case GgufValueType.UInt32: return GgufValue.Of(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, field)));
            case GgufValueType.Int32: return GgufValue.Of(BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4, field)));
            case GgufValueType.Float32: return GgufValue.Of(BinaryPrimitives.ReadSingleLittleEndian(ReadBytes(4, field)));
            case GgufValueType.UInt64: return GgufValue.Of(BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8, field)));
            case GgufValueType.Int64: return GgufValue.Of(BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8, field)));
            case GgufValueType.Float64: return GgufValue.Of(BinaryPrimitives.ReadDoubleLittleEndian(ReadBytes(8, field)));
            case GgufValueType.Bool: return GgufValue.Of(ReadBool(field));
            case GgufValueType.String: return GgufValue.Of(ReadString(field));
            case GgufValueType.Array: return ReadArray(field, depth);
            default:
                throw Fail(typeAt, field + " type", "a GGUF value type 0..12", ((uint)type).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private GgufValue ReadArray(string field, int depth)
    {
        var elementTypeAt = _pos;
        var elementType = (GgufValueType)ReadU32(field + " element type", "an array element type");
        var countAt = _pos;
        var count = ReadU64(field + " length", "an array length");
        var minElementBytes = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
            GgufValueType.Array => 12,
            _ => throw Fail(elementTypeAt, field + " element type", "a GGUF value type 0..12", ((uint)elementType).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        CheckCount(countAt, field + " length", count, _limits.MaxArrayLength, minElementBytes);
        var n = (int)count;

        switch (elementType)
        {
            case GgufValueType.UInt8: return GgufValue.Array(ReadBytes(n, field).ToArray());
            case GgufValueType.Int8: return GgufValue.Array(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(ReadBytes(n, field)).ToArray());
            case GgufValueType.UInt16: return GgufValue.Array(ReadPrimitives<ushort>(n, field));
            case GgufValueType.Int16: return GgufValue.Array(ReadPrimitives<short>(n, field));
            case GgufValueType.UInt32: return GgufValue.Array(ReadPrimitives<uint>(n, field));
            case GgufValueType.Int32: return GgufValue.Array(ReadPrimitives<int>(n, field));
            case GgufValueType.Float32: return GgufValue.Array(ReadPrimitives<float>(n, field));
            case GgufValueType.UInt64: return GgufValue.Array(ReadPrimitives<ulong>(n, field));
            case GgufValueType.Int64: return GgufValue.Array(ReadPrimitives<long>(n, field));
            case GgufValueType.Float64: return GgufValue.Array(ReadPrimitives<double>(n, field));
            case GgufValueType.Bool:
                {
                    var values = new bool[n];
                    for (var i = 0; i < n; i++)
                    {
                        values[i] = ReadBool($"{field}[{i}]");
                    }

                    return GgufValue.Array(values);
                }

            case GgufValueType.String:
                {
                    var values = new string[n];
                    for (var i = 0; i < n; i++)
                    {
                        values[i] = ReadString($"{field}[{i}]");
                    }

                    return GgufValue.Array(values);
                }

            default:
                {
                    if (depth + 1 > _limits.MaxArrayNesting)
                    {
                        throw Fail(elementTypeAt, field + " element type", $"arrays nested at most {_limits.MaxArrayNesting} deep");
                    }

                    // Elements of an array of arrays carry no type tag of their own: each is (element type, count, data).
                    var values = new GgufValue[n];
                    for (var i = 0; i < n; i++)
                    {
                        values[i] = ReadArray($"{field}[{i}]", depth + 1);
                    }

                    return GgufValue.ArrayOfArrays(values);
                }
        }
    }

    private T[] ReadPrimitives<T>(int count, string field)
        where T : unmanaged
    {
        var bytes = ReadBytes(checked(count * sizeof(T)), field);
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("GGUF reading needs a little-endian machine");
        }

        return values;
    }

    private bool ReadBool(string field)
    {
        var at = _pos;
        var b = ReadBytes(1, field)[0];
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw Fail(at, field, "a bool (0 or 1)", b.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
    }

    private string ReadString(string field)
    {
        var lengthAt = _pos;
        var length = ReadU64(field + " length", "a string length");
        if (length > (ulong)_limits.MaxStringBytes)
        {
            throw Fail(lengthAt, field + " length", $"a string length of at most {_limits.MaxStringBytes} bytes", length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (length > (ulong)(_length - _pos))
        {
            throw Fail(lengthAt, field + " length", $"a string that fits in the {_length - _pos} bytes left in the file", $"{length} bytes");
        }

        var bytesAt = _pos;
        var bytes = ReadBytes((int)length, field);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Fail(bytesAt + e.Index, field, "valid UTF-8", $"byte 0x{bytes[Math.Max(0, e.Index)]:X2}");
        }
    }

    private uint ReadU32(string field, string expected) => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, field, expected));

    private ulong ReadU64(string field, string expected) => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8, field, expected));

    private ReadOnlySpan<byte> ReadBytes(int count, string field, string? expected = null)
    {
        if (count > _length - _pos)
        {
            throw Fail(_pos, field, $"{expected ?? field} ({count} bytes)", $"end of file after {_length - _pos} bytes (file truncated?)");
        }

        var span = new ReadOnlySpan<byte>(_base + _pos, count);
        _pos += count;
        return span;
    }

    private void CheckCount(long at, string field, ulong count, long limit, int minBytesEach)
    {
        if (count > (ulong)limit)
        {
            throw Fail(at, field, $"at most {limit}", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var left = _length - _pos;
        if (count > (ulong)(left / minBytesEach))
        {
            throw Fail(at, field, $"a count whose entries fit in the {left} bytes left in the file (at least {minBytesEach} bytes each)", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private GgufFormatException Fail(long at, string field, string expected, string? found = null) => new(_path, at, field, expected, found);

    private static string Hex(uint v) => $"{v & 0xFF:X2} {(v >> 8) & 0xFF:X2} {(v >> 16) & 0xFF:X2} {v >> 24:X2}";
}

/// <summary>A tensor info as read, before its data offset is checked against the data section.</summary>
internal sealed record RawTensorInfo(string Name, GgmlTypeInfo Info, long[] Dims, ulong Offset, long NameAt, long DimsAt, long TypeAt, long OffsetAt);

/// <param name="ValueOffsets">Each key's value (its type field) as a byte offset, for errors that name a key.</param>
internal sealed record GgufHeader(uint Version, List<KeyValuePair<string, GgufValue>> Metadata, Dictionary<string, long> ValueOffsets, List<RawTensorInfo> Tensors, uint Alignment, long HeaderEnd);
