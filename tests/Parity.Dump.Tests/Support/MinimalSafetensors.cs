using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Parity.Dump.Tests.Support;

/// <summary>
/// A safetensors reader written from the format description in huggingface/safetensors' README and nothing else
/// (it does not touch Parity.Dump): u64 little-endian header length N, N bytes of JSON, then the byte buffer that
/// data_offsets index. It is how the tests check that our files are plain safetensors; it also rewrites headers
/// to build corrupt files.
/// </summary>
internal sealed class MinimalSafetensors
{
    private MinimalSafetensors(long headerLength, JsonObject header, byte[] buffer)
    {
        HeaderLength = headerLength;
        Header = header;
        Buffer = buffer;
    }

    public long HeaderLength { get; }

    /// <summary>The header JSON, in file order.</summary>
    public JsonObject Header { get; }

    /// <summary>Everything after the header.</summary>
    public byte[] Buffer { get; }

    public IEnumerable<string> TensorNames => Header.Select(p => p.Key).Where(k => k != "__metadata__");

    public static MinimalSafetensors Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))!.AsObject();
        return new MinimalSafetensors(n, header, bytes[(8 + (int)n)..]);
    }

    public string DType(string name) => Header[name]!["dtype"]!.GetValue<string>();

    public long[] Shape(string name) => [.. Header[name]!["shape"]!.AsArray().Select(d => d!.GetValue<long>())];

    public (long Begin, long End) Offsets(string name)
    {
        var o = Header[name]!["data_offsets"]!.AsArray();
        return (o[0]!.GetValue<long>(), o[1]!.GetValue<long>());
    }

    public ReadOnlySpan<byte> Bytes(string name)
    {
        var (begin, end) = Offsets(name);
        return Buffer.AsSpan((int)begin, (int)(end - begin));
    }

    public float Float32(string name, int index) => BinaryPrimitives.ReadSingleLittleEndian(Bytes(name)[(4 * index)..]);

    /// <summary>Replaces the header of <paramref name="path"/> with an edited copy (padded to 8 bytes again), keeping the data.</summary>
    public static void RewriteHeader(string path, Action<JsonObject> edit)
    {
        var file = Read(path);
        edit(file.Header);
        var json = Encoding.UTF8.GetBytes(file.Header.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        var padded = (json.Length + 7) / 8 * 8;
        using var output = new FileStream(path, FileMode.Create, FileAccess.Write);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        output.Write(prefix);
        output.Write(json);
        for (var i = json.Length; i < padded; i++)
        {
            output.WriteByte((byte)' ');
        }

        output.Write(file.Buffer);
    }
}
