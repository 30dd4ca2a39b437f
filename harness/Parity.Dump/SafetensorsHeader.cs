using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Parity.Dump;

/// <summary>
/// The safetensors container (huggingface/safetensors, README "Format"): an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON mapping each tensor name to <c>{dtype, shape, data_offsets: [begin, end)}</c> (offsets
/// relative to the first byte after the header) plus an optional string-to-string <c>__metadata__</c>, then the
/// data. The reference reader requires the tensors, sorted by offset, to tile the data section exactly: no gaps, no
/// overlap, nothing after the last tensor. So tensors are not padded to alignment; only the header is padded with
/// spaces so the data section starts at a multiple of 8 in the file, as the reference writer does.
/// </summary>
internal static class SafetensorsHeader
{
    public const string MetadataKey = "__metadata__";

    public const int LengthPrefixBytes = 8;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>The 8-byte length prefix followed by the padded header JSON for <paramref name="tensors"/>, in their order.</summary>
    public static byte[] Build(IReadOnlyList<DumpTensorEntry> tensors)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (tensors.Count * 96));
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject(MetadataKey);
            json.WriteString("format", DumpFormat.Name);
            json.WriteString("formatVersion", DumpFormat.Version.ToString(CultureInfo.InvariantCulture));
            json.WriteEndObject();
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Key);
                json.WriteString("dtype", DumpDTypes.ToSafetensorsName(t.DType));
                json.WriteStartArray("shape");
                foreach (var d in t.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(t.ByteOffset);
                json.WriteNumberValue(t.ByteOffset + t.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        var headerLength = (buffer.WrittenCount + 7) / 8 * 8;
        var result = new byte[LengthPrefixBytes + headerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)headerLength);
        buffer.WrittenSpan.CopyTo(result.AsSpan(LengthPrefixBytes));
        result.AsSpan(LengthPrefixBytes + buffer.WrittenCount).Fill((byte)' ');
        return result;
    }

    /// <summary>Parses and validates the header of the <paramref name="fileLength"/>-byte file at <paramref name="file"/>.</summary>
    public static unsafe SafetensorsLayout Parse(string path, byte* file, long fileLength)
    {
        if (fileLength < LengthPrefixBytes)
        {
            throw new DumpFormatException(path, "header length", $"the file has {fileLength} bytes, fewer than the 8-byte header length (truncated?)", 0);
        }

        var n = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(file, LengthPrefixBytes));
        if (n > (ulong)(fileLength - LengthPrefixBytes))
        {
            throw new DumpFormatException(path, $"header length {n}", $"exceeds the file size {fileLength} (8 + {n} bytes needed; truncated?)", 0);
        }

        if (n > DumpFormat.MaxSafetensorsHeaderBytes)
        {
            throw new DumpFormatException(path, $"header length {n}", $"exceeds the {DumpFormat.MaxSafetensorsHeaderBytes}-byte limit safetensors readers enforce", 0);
        }

        var dataStart = LengthPrefixBytes + (long)n;
        var dataLength = fileLength - dataStart;
        var headerBytes = new ReadOnlySpan<byte>(file + LengthPrefixBytes, (int)n).ToArray();
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes))
        {
            throw new DumpFormatException(path, "header JSON", "not valid UTF-8 text", LengthPrefixBytes);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new DumpFormatException(path, "header JSON", $"not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DumpFormatException(path, "header JSON", $"expected an object, found {root.ValueKind}", LengthPrefixBytes);
            }

            Dictionary<string, string>? metadata = null;
            var tensors = new List<SafetensorsTensorInfo>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var expectedBegin = 0L;
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw new DumpFormatException(path, $"header key '{property.Name}'", "appears twice; safetensors keys are unique");
                }

                if (property.Name == MetadataKey)
                {
                    metadata = ParseMetadata(path, property.Value);
                    continue;
                }

                var info = ParseTensor(path, property.Name, property.Value, dataLength);

                // The reference reader sorts by offset and requires each tensor to start where the previous one ended.
                // Parity writes them in header (graph) order, so the check is in header order and names the culprit.
                if (info.Begin != expectedBegin)
                {
                    var what = info.Begin < expectedBegin ? "overlaps the previous tensor" : "leaves a gap after the previous tensor";
                    throw new DumpFormatException(path, $"tensor '{info.Key}' data_offsets", $"begin {info.Begin} {what}: expected {expectedBegin} (tensors tile the data section in header order)");
                }

                expectedBegin = info.End;
                tensors.Add(info);
            }

            if (expectedBegin != dataLength)
            {
                throw new DumpFormatException(path, "data section", $"has {dataLength} bytes but the tensors cover {expectedBegin}; safetensors forbids trailing bytes", dataStart);
            }

            CheckMetadata(path, metadata);
            return new SafetensorsLayout(tensors, metadata!, dataStart, dataLength);
        }
    }

    private static Dictionary<string, string> ParseMetadata(string path, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new DumpFormatException(path, MetadataKey, $"expected an object of strings, found {value.ValueKind}");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
            {
                throw new DumpFormatException(path, $"{MetadataKey}.{p.Name}", $"expected a string (safetensors metadata is string to string), found {p.Value.ValueKind}");
            }

            result[p.Name] = p.Value.GetString()!;
        }

        return result;
    }

    private static void CheckMetadata(string path, Dictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            throw new DumpFormatException(path, MetadataKey, $"missing; expected {{\"format\":\"{DumpFormat.Name}\",\"formatVersion\":\"{DumpFormat.Version}\"}}");
        }

        if (!metadata.TryGetValue("format", out var format) || format != DumpFormat.Name)
        {
            throw new DumpFormatException(path, MetadataKey + ".format", $"expected \"{DumpFormat.Name}\", found {(format is null ? "nothing" : $"\"{format}\"")}");
        }

        var expected = DumpFormat.Version.ToString(CultureInfo.InvariantCulture);
        if (!metadata.TryGetValue("formatVersion", out var version) || version != expected)
        {
            throw new DumpFormatException(path, MetadataKey + ".formatVersion", $"version {(version is null ? "(missing)" : $"\"{version}\"")} is not supported: this reader reads version {expected} only");
        }
    }

    private static SafetensorsTensorInfo ParseTensor(string path, string key, JsonElement value, long dataLength)
    {
        var field = $"tensor '{key}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new DumpFormatException(path, field, $"expected an object {{dtype, shape, data_offsets}}, found {value.ValueKind}");
        }

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new DumpFormatException(path, field + " dtype", "missing or not a string");
        }

        if (!DumpDTypes.TryParseSafetensorsName(dtypeElement.GetString(), out var dtype))
        {
            throw new DumpFormatException(path, field + " dtype", $"\"{dtypeElement.GetString()}\" is not a dtype parity dumps use (F32, F16, BF16, F64, I32, I16, I8, I64, U8)");
        }

        var shape = ReadLongs(path, field + " shape", value, "shape", count: null);
        var offsets = ReadLongs(path, field + " data_offsets", value, "data_offsets", count: 2);
        var (begin, end) = (offsets[0], offsets[1]);
        if (end < begin)
        {
            throw new DumpFormatException(path, field + " data_offsets", $"[{begin},{end}] ends before it begins");
        }

        if (end > dataLength)
        {
            throw new DumpFormatException(path, field + " data_offsets", $"[{begin},{end}] reach past the end of the {dataLength}-byte data section (file truncated?)");
        }

        long bytes;
        try
        {
            bytes = DumpDTypes.ElementSize(dtype);
            foreach (var d in shape)
            {
                bytes = checked(bytes * d);
            }
        }
        catch (OverflowException)
        {
            throw new DumpFormatException(path, field + " shape", $"{DumpTensorEntry.FormatDims(shape)} of {dtype} overflows a 64-bit byte count");
        }

        if (bytes != end - begin)
        {
            throw new DumpFormatException(path, field + " data_offsets", $"[{begin},{end}] span {end - begin} bytes but shape {DumpTensorEntry.FormatDims(shape)} of {dtype} needs {bytes}");
        }

        return new SafetensorsTensorInfo(key, dtype, shape, begin, end);
    }

    private static long[] ReadLongs(string path, string field, JsonElement parent, string name, int? count)
    {
        if (!parent.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new DumpFormatException(path, field, "missing or not an array");
        }

        var length = array.GetArrayLength();
        if (count is { } c && length != c)
        {
            throw new DumpFormatException(path, field, $"expected {c} numbers, found {length}");
        }

        var result = new long[length];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var v) || v < 0)
            {
                throw new DumpFormatException(path, $"{field}[{i}]", $"expected a non-negative integer, found {item.GetRawText()}");
            }

            result[i++] = v;
        }

        return result;
    }
}
