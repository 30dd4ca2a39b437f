using Parity.Gguf;
using Parity.Tests.Support;

namespace Parity.Tests.Gguf;

/// <summary>
/// A corpus of malformed GGUF files, each built byte by byte. Every one must give a <see cref="GgufFormatException"/>
/// naming the file, the byte offset and the field, quickly and without allocating more than a small fixed amount
/// (counts like 2^62 must never reach an allocation).
/// </summary>
[TestFixture]
public sealed class MalformedGgufTests
{
    private const uint Q4_0 = 2;
    private const uint F32 = 0;

    private TempDirectory _temp = null!;

    [OneTimeSetUp]
    public void SetUp() => _temp = new TempDirectory();

    [OneTimeTearDown]
    public void TearDown() => _temp.Dispose();

    /// <summary>A small valid file: 2 metadata pairs, 2 F32 tensors of 8 elements.</summary>
    internal static RawGguf Valid()
    {
        var g = new RawGguf().Header(3, 2, 2)
            .KvStr("general.architecture", "llama")
            .KvU32("llama.block_count", 1)
            .TensorInfo("a", F32, 0, 8)
            .TensorInfo("b", F32, 32, 4, 2)
            .Mark("padding").PadTo(32)
            .Mark("tensor data a").Zeros(32)
            .Mark("tensor data b").Zeros(32);
        return g;
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        TestCaseData Case(string name, string field, Func<RawGguf> build) => new TestCaseData(build, field).SetName(name);

        yield return Case("bad magic", "magic", () => new RawGguf().U32(0x46554746).U32(3).U64(0).U64(0));
        yield return Case("version 1", "version", () => new RawGguf().Header(1, 0, 0));
        yield return Case("version 4", "version", () => new RawGguf().Header(4, 0, 0));
        yield return Case("big-endian version", "version", () => new RawGguf().Header(0x03000000, 0, 0));
        yield return Case("empty file", "header", () => new RawGguf());
        yield return Case("only magic", "header", () => new RawGguf().U32(0x46554747));
        yield return Case("absurd metadata count", "metadata_kv_count", () => new RawGguf().Header(3, 0, 1UL << 62));
        yield return Case("absurd tensor count", "tensor_count", () => new RawGguf().Header(3, 1UL << 62, 0));
        yield return Case("metadata count past end of file", "metadata_kv_count", () => new RawGguf().Header(3, 0, 1000).KvU32("x", 1));
        yield return Case("tensor count past end of file", "tensor_count", () => new RawGguf().Header(3, 100, 0).TensorInfo("a", F32, 0, 8));
        yield return Case("key length past end of file", "key length", () => new RawGguf().Header(3, 0, 1).U64(1000).Bytes("abc"u8).Zeros(16));
        yield return Case("key length absurd", "key length", () => new RawGguf().Header(3, 0, 1).U64(1UL << 60).Zeros(16));
        yield return Case("string value past end of file", "'s'", () => new RawGguf().Header(3, 0, 1).Str("s").U32(8).U64(500).Bytes("xy"u8));
        yield return Case("empty key", "key", () => new RawGguf().Header(3, 0, 1).Str(string.Empty).U32(4).U32(1));
        yield return Case("unknown value type", "'k' type", () => new RawGguf().Header(3, 0, 1).Str("k").U32(13).U32(0));
        yield return Case("unknown array element type", "element type", () => new RawGguf().Header(3, 0, 1).Str("k").U32(9).U32(77).U64(1).U32(0));
        yield return Case("absurd array length", "length", () => new RawGguf().Header(3, 0, 1).Str("k").U32(9).U32(6).U64(1UL << 61).Zeros(8));
        yield return Case("array length past end of file", "length", () => new RawGguf().Header(3, 0, 1).Str("k").U32(9).U32(6).U64(100).F32(1).F32(2));
        yield return Case("string array past end of file", "length", () => new RawGguf().Header(3, 0, 1).Str("k").U32(9).U32(8).U64(50).Str("one"));
        yield return Case("array of arrays with an unknown inner element type", "[0] element type", () => new RawGguf().Header(3, 0, 1).Str("k").U32(9).U32(9).U64(1).U32(42).U64(0));
        yield return Case("arrays nested too deep", "element type", () =>
        {
            var g = new RawGguf().Header(3, 0, 1).Str("k").U32(9);
            for (var i = 0; i < 12; i++)
            {
                g.U32(9).U64(1);
            }

            return g.U32(4).U64(0);
        });
        yield return Case("bool value 2", "'flag'", () => new RawGguf().Header(3, 0, 1).Str("flag").U32(7).U8(2));
        yield return Case("invalid UTF-8 in key", "key", () => new RawGguf().Header(3, 0, 1).RawStr([0x61, 0xC3, 0x28]).U32(4).U32(1));
        yield return Case("invalid UTF-8 in value", "'name'", () => new RawGguf().Header(3, 0, 1).Str("name").U32(8).RawStr([0xFF, 0xFE]));
        yield return Case("duplicate key", "key", () => new RawGguf().Header(3, 0, 2).KvU32("k", 1).KvU32("k", 2));
        yield return Case("alignment not a power of two", "general.alignment", () => new RawGguf().Header(3, 0, 1).KvU32("general.alignment", 48));
        yield return Case("alignment zero", "general.alignment", () => new RawGguf().Header(3, 0, 1).KvU32("general.alignment", 0));
        yield return Case("alignment of the wrong type", "general.alignment", () => new RawGguf().Header(3, 0, 1).Str("general.alignment").U32(10).U64(32));
        yield return Case("duplicate tensor name", "name", () => new RawGguf().Header(3, 2, 0).TensorInfo("a", F32, 0, 8).TensorInfo("a", F32, 32, 8).PadTo(32).Zeros(64));
        yield return Case("tensor name too long", "name", () => new RawGguf().Header(3, 1, 0).TensorInfo(new string('x', 64), F32, 0, 8).PadTo(32).Zeros(32));
        yield return Case("unknown tensor type (removed Q4_2)", "type", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", 4, 0, 32).PadTo(32).Zeros(32));
        yield return Case("unknown tensor type 999", "type", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", 999, 0, 32).PadTo(32).Zeros(32));
        yield return Case("five dimensions", "n_dims", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", F32, 0, 1, 1, 1, 1, 1).PadTo(32).Zeros(32));
        yield return Case("dimension of 2^63", "ne[1]", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", F32, 0, 8, 1UL << 63).PadTo(32).Zeros(32));
        yield return Case("dimension product overflows", "dimensions", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", F32, 0, 1UL << 40, 1UL << 40).PadTo(32).Zeros(32));
        yield return Case("byte size overflows", "dimensions", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", F32, 0, 1UL << 31, 1UL << 31, 4).PadTo(32).Zeros(32));
        yield return Case("row not a multiple of the block size", "ne[0]", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", Q4_0, 0, 16).PadTo(32).Zeros(32));
        yield return Case("misaligned tensor offset", "offset", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", F32, 4, 4).PadTo(32).Zeros(32));
        yield return Case("tensor data past end of file", "offset", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", F32, 0, 64).PadTo(32).Zeros(32));
        yield return Case("tensor offset far past end of file", "offset", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", F32, 1UL << 50, 8).PadTo(32).Zeros(32));
        yield return Case("overlapping tensors", "offset", () => new RawGguf().Header(3, 2, 0).TensorInfo("a", F32, 0, 16).TensorInfo("b", F32, 32, 8).PadTo(32).Zeros(96));
        yield return Case("truncated before the data section", "tensor", () => new RawGguf().Header(3, 1, 0).TensorInfo("a", F32, 0, 8));
        yield return Case("truncated inside tensor data", "offset", () =>
        {
            var bytes = Valid().ToArray();
            return new RawGguf().Bytes(bytes.AsSpan(0, bytes.Length - 1));
        });
    }

    [TestCaseSource(nameof(Cases))]
    public void A_malformed_file_gives_a_clear_exception(Func<RawGguf> build, string field)
    {
        var path = _temp.Write(Guid.NewGuid().ToString("N") + ".gguf", build().ToArray());
        var e = OpenExpectingFailure(path);
        Assert.That(e.Message, Does.StartWith(path + ": invalid GGUF at byte "));
        Assert.That(e.Field, Does.Contain(field), e.Message);
        Assert.That(e.Offset, Is.InRange(0, new FileInfo(path).Length), e.Message);
    }

    [Test]
    public void The_valid_base_file_of_the_corpus_reads()
    {
        var path = _temp.Write("valid.gguf", Valid().ToArray());
        using var file = GgufFile.Open(path);
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(file.GetValue("llama.block_count").AsInt64(), Is.EqualTo(1));
    }

    [Test]
    public void Truncation_at_every_section_boundary_and_every_byte_of_the_header_fails_clearly()
    {
        var valid = Valid();
        var bytes = valid.ToArray();
        var cuts = valid.Boundaries.Select(b => b.Offset)
            .Concat(Enumerable.Range(0, (int)valid.Boundaries.First(b => b.Section == "padding").Offset + 1).Select(i => (long)i))
            .Distinct().Order().ToList();
        Assert.That(cuts, Has.Count.GreaterThan(100));
        foreach (var cut in cuts)
        {
            var path = _temp.Write($"cut-{cut}.gguf", bytes.AsSpan(0, (int)cut).ToArray());
            var e = OpenExpectingFailure(path);
            Assert.That(e.Message, Does.Contain(path), $"cut at {cut}");
        }
    }

    private static GgufFormatException OpenExpectingFailure(string path)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        GgufFormatException? caught = null;
        try
        {
            using var _ = GgufFile.Open(path);
        }
        catch (GgufFormatException e)
        {
            caught = e;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(caught, Is.Not.Null, $"{path} opened without error");

        // Nothing sized from the file's counts: only the parser's fixed overhead and the exception itself.
        Assert.That(allocated, Is.LessThan(256 * 1024), $"{path}: {allocated} bytes allocated");
        return caught!;
    }
}
