using System.Buffers.Binary;
using System.Text;

namespace Parity.TestEngine;

/// <summary>
/// A GGUF file read whole into memory: the header, the metadata values, the tensor infos and the tensor data of the
/// types this engine reads (F32, F16, and Q8_0, Q4_K, Q6_K widened to float). Everything else is refused by name. Small on purpose: the models
/// this engine runs are a few megabytes.
/// </summary>
internal sealed class GgufFile
{
    private const uint Magic = 0x46554747; // "GGUF", little-endian
    private const int TypeF32 = 0;
    private const int TypeF16 = 1;

    private readonly byte[] _bytes;
    private readonly long _dataStart;

    private GgufFile(string path, byte[] bytes, Dictionary<string, object> metadata, Dictionary<string, GgufTensorInfo> tensors, long dataStart)
    {
        Path = path;
        _bytes = bytes;
        Metadata = metadata;
        Tensors = tensors;
        _dataStart = dataStart;
    }

    public string Path { get; }

    /// <summary>The whole file, for its SHA-256.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Metadata values: integers as long, floats as double, bool, string, or object[] for arrays.</summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }

    public IReadOnlyDictionary<string, GgufTensorInfo> Tensors { get; }

    public static GgufFile Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new BadRequestException($"model {path}: no such file");
        }

        if (info.Length > int.MaxValue)
        {
            throw new RefusedException($"model {path}: {info.Length} bytes; this engine reads models of at most 2 GiB whole into memory");
        }

        var bytes = File.ReadAllBytes(path);
        var reader = new Reader(path, bytes);
        if (reader.U32() != Magic)
        {
            throw new BadRequestException($"model {path} offset 0: not a GGUF file (magic 'GGUF' expected)");
        }

        var version = reader.U32();
        if (version is not (2 or 3))
        {
            throw new RefusedException($"model {path} offset 4: GGUF version {version}; this engine reads versions 2 and 3");
        }

        var tensorCount = reader.Count("tensor count");
        var metadataCount = reader.Count("metadata count");
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        for (var i = 0; i < metadataCount; i++)
        {
            var key = reader.String();
            metadata[key] = reader.Value((int)reader.U32(), key);
        }

        var tensors = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        for (var i = 0; i < tensorCount; i++)
        {
            var tensor = reader.TensorInfo();
            tensors[tensor.Name] = tensor;
        }

        var alignment = metadata.TryGetValue("general.alignment", out var a) ? Convert.ToInt64(a, System.Globalization.CultureInfo.InvariantCulture) : 32;
        var dataStart = (reader.Position + alignment - 1) / alignment * alignment;
        return new GgufFile(path, bytes, metadata, tensors, dataStart);
    }

    /// <summary>A tensor's values as float32 (F16 and the block types widened); any other type is refused by name.</summary>
    public float[] ReadFloats(string name)
    {
        if (!Tensors.TryGetValue(name, out var t))
        {
            throw new RefusedException($"model {Path}: tensor '{name}' missing; a llama model has it");
        }

        var start = _dataStart + t.Offset;
        var values = new float[t.ElementCount];
        var block = t.Type switch
        {
            TypeF32 => (4, 1),
            TypeF16 => (2, 1),
            _ => Dequantize.Block(t.Type) ?? throw new RefusedException($"model {Path}: tensor '{name}' has ggml type {GgmlTypeName(t.Type)}; this engine computes with F32, F16, Q8_0, Q4_K and Q6_K weights only (widened to float)"),
        };
        if (values.Length % block.Item2 != 0 || start + (values.LongLength / block.Item2 * block.Item1) > _bytes.LongLength)
        {
            throw new BadRequestException($"model {Path}: tensor '{name}' data at offset {start} runs past the end of the file ({_bytes.LongLength} bytes) or is not whole blocks of {GgmlTypeName(t.Type)}");
        }

        var data = _bytes.AsSpan((int)start, (int)(values.LongLength / block.Item2 * block.Item1));
        if (t.Type is not (TypeF32 or TypeF16))
        {
            Dequantize.Row(t.Type, data, values);
            return values;
        }

        for (var i = 0; i < values.Length; i++)
        {
            values[i] = t.Type == TypeF32
                ? BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..])
                : (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
        }

        return values;
    }

    /// <summary>ggml's name for a type id, for messages and the dump's weight-type census.</summary>
    public static string GgmlTypeName(int type) => type switch
    {
        0 => "f32",
        1 => "f16",
        2 => "q4_0",
        3 => "q4_1",
        6 => "q5_0",
        7 => "q5_1",
        8 => "q8_0",
        9 => "q8_1",
        10 => "q2_K",
        11 => "q3_K",
        12 => "q4_K",
        13 => "q5_K",
        14 => "q6_K",
        15 => "q8_K",
        30 => "bf16",
        _ => $"type {type}",
    };

    /// <summary>Little-endian reads with the offset in every error.</summary>
    private sealed class Reader(string path, byte[] bytes)
    {
        public long Position { get; private set; }

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        public int Count(string what)
        {
            var at = Position;
            var n = U64();
            return n <= int.MaxValue ? (int)n : throw new BadRequestException($"model {path} offset {at}: {what} {n} is not plausible");
        }

        public string String() => Encoding.UTF8.GetString(Take(Count("string length")));

        public object Value(int type, string key) => type switch
        {
            0 => (long)Take(1)[0],
            1 => (long)(sbyte)Take(1)[0],
            2 => (long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)),
            3 => (long)BinaryPrimitives.ReadInt16LittleEndian(Take(2)),
            4 => (long)U32(),
            5 => (long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)),
            6 => (double)BinaryPrimitives.ReadSingleLittleEndian(Take(4)),
            7 => Take(1)[0] != 0,
            8 => String(),
            9 => Array(key),
            10 => (long)U64(),
            11 => BinaryPrimitives.ReadInt64LittleEndian(Take(8)),
            12 => BinaryPrimitives.ReadDoubleLittleEndian(Take(8)),
            _ => throw new BadRequestException($"model {path} offset {Position}: metadata '{key}' has value type {type}, not a GGUF type (0-12)"),
        };

        public GgufTensorInfo TensorInfo()
        {
            var name = String();
            var at = Position;
            var dims = U32();
            if (dims is 0 or > 4)
            {
                throw new BadRequestException($"model {path} offset {at}: tensor '{name}' has {dims} dimensions; 1 to 4 expected");
            }

            var ne = new long[dims];
            for (var d = 0; d < dims; d++)
            {
                ne[d] = (long)U64();
            }

            return new GgufTensorInfo(name, ne, (int)U32(), (long)U64());
        }

        private object[] Array(string key)
        {
            var type = (int)U32();
            var values = new object[Count($"array length of '{key}'")];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = Value(type, key);
            }

            return values;
        }

        private ReadOnlySpan<byte> Take(int n)
        {
            if (Position + n > bytes.LongLength)
            {
                throw new BadRequestException($"model {path} offset {Position}: the file ends inside the header ({bytes.LongLength} bytes)");
            }

            var span = bytes.AsSpan((int)Position, n);
            Position += n;
            return span;
        }
    }
}
