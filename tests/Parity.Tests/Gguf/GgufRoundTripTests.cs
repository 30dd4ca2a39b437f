using System.Security.Cryptography;
using Parity.Gguf;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Gguf;

[TestFixture]
public sealed class GgufRoundTripTests
{
    [Test]
    public void Every_metadata_type_including_nested_arrays_reads_back_as_written()
    {
        using var temp = new TempDirectory();
        var writer = new GgufWriter()
            .Add("u8", GgufValue.Of((byte)200))
            .Add("i8", GgufValue.Of((sbyte)-5))
            .Add("u16", GgufValue.Of((ushort)60000))
            .Add("i16", GgufValue.Of((short)-30000))
            .Add("u32", GgufValue.Of(4000000000u))
            .Add("i32", GgufValue.Of(-2000000000))
            .Add("f32", GgufValue.Of(1.5e-5f))
            .Add("bool", GgufValue.Of(true))
            .Add("string", GgufValue.Of("héllo ▁wörld"))
            .Add("u64", GgufValue.Of(ulong.MaxValue))
            .Add("i64", GgufValue.Of(long.MinValue))
            .Add("f64", GgufValue.Of(Math.PI))
            .Add("arr.f32", GgufValue.Array([1f, -2f, float.Epsilon]))
            .Add("arr.str", GgufValue.Array(["a", string.Empty, "ü"]))
            .Add("arr.bool", GgufValue.Array([true, false]))
            .Add("arr.i16", GgufValue.Array(new short[] { -1, 2 }))
            .Add("arr.nested", GgufValue.ArrayOfArrays([GgufValue.Array([1, 2]), GgufValue.ArrayOfArrays([GgufValue.Array(["x"])])]))
            .AddTensor("t", GgmlType.F32, [4, 2], new byte[32]);
        var path = temp.File("all.gguf");
        writer.WriteTo(path);

        using var file = GgufFile.Open(path);
        Assert.Multiple(() =>
        {
            Assert.That(file.Metadata.Select(p => p.Key), Is.EqualTo(writer.Metadata.Select(p => p.Key)), "key order is preserved");
            Assert.That(file.GetValue("u8").Raw, Is.EqualTo((byte)200));
            Assert.That(file.GetValue("i8").Raw, Is.EqualTo((sbyte)-5));
            Assert.That(file.GetValue("u16").Raw, Is.EqualTo((ushort)60000));
            Assert.That(file.GetValue("i16").Raw, Is.EqualTo((short)-30000));
            Assert.That(file.GetValue("u32").Raw, Is.EqualTo(4000000000u));
            Assert.That(file.GetValue("i32").Raw, Is.EqualTo(-2000000000));
            Assert.That(file.GetValue("f32").Raw, Is.EqualTo(1.5e-5f));
            Assert.That(file.GetValue("bool").AsBool(), Is.True);
            Assert.That(file.GetValue("string").AsString(), Is.EqualTo("héllo ▁wörld"));
            Assert.That(file.GetValue("u64").Raw, Is.EqualTo(ulong.MaxValue));
            Assert.That(file.GetValue("i64").Raw, Is.EqualTo(long.MinValue));
            Assert.That(file.GetValue("f64").Raw, Is.EqualTo(Math.PI));
            Assert.That(file.GetValue("arr.f32").AsArray<float>(), Is.EqualTo(new[] { 1f, -2f, float.Epsilon }));
            Assert.That(file.GetValue("arr.str").AsArray<string>(), Is.EqualTo(new[] { "a", string.Empty, "ü" }));
            Assert.That(file.GetValue("arr.bool").AsArray<bool>(), Is.EqualTo(new[] { true, false }));
            Assert.That(file.GetValue("arr.i16").AsArray<short>(), Is.EqualTo(new short[] { -1, 2 }));
            var nested = file.GetValue("arr.nested").AsArray<GgufValue>();
            Assert.That(nested[0].AsArray<int>(), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(nested[1].AsArray<GgufValue>()[0].AsArray<string>(), Is.EqualTo(new[] { "x" }));
        });

        var again = temp.File("again.gguf");
        GgufWriter.CopyOf(file).WriteTo(again);
        Assert.That(File.ReadAllBytes(again), Is.EqualTo(File.ReadAllBytes(path)));
    }

    [Test]
    public void A_synthetic_model_read_and_written_again_is_byte_identical()
    {
        using var temp = new TempDirectory();
        var path = temp.File("micro.gguf");
        SyntheticModel.Write(SyntheticPresets.Micro, path, seed: 7);
        var again = temp.File("micro-again.gguf");
        using (var file = GgufFile.Open(path))
        {
            GgufWriter.CopyOf(file).WriteTo(again);
        }

        Assert.That(SHA256.HashData(File.ReadAllBytes(again)), Is.EqualTo(SHA256.HashData(File.ReadAllBytes(path))));
    }

    [TestCase("models/stories260K.gguf")]
    [TestCase("models/llama-2-tiny-random.gguf")]
    [TestCase("tokenizer/ggml-vocab-llama-spm.gguf")]
    [TestCase("tokenizer/ggml-vocab-deepseek-llm.gguf")]
    public void A_real_file_read_and_written_again_is_byte_identical(string fixture)
    {
        var path = SharedFixtures.Require(fixture);
        using var temp = new TempDirectory();
        var again = temp.File("again.gguf");
        using (var file = GgufFile.Open(path))
        {
            GgufWriter.CopyOf(file).WriteTo(again);
        }

        Assert.That(File.ReadAllBytes(again), Is.EqualTo(File.ReadAllBytes(path)));
    }

    [Test]
    public void The_writer_leaves_no_partial_file_when_a_tensor_source_fails()
    {
        using var temp = new TempDirectory();
        var path = temp.File("broken.gguf");
        var writer = new GgufWriter().Add("k", GgufValue.Of(1u))
            .AddTensor("t", GgmlType.F32, [8], s => s.Write(new byte[5]));
        Assert.That(() => writer.WriteTo(path), Throws.InvalidOperationException.With.Message.Contains("wrote 5 bytes, expected 32"));
        Assert.That(Directory.GetFiles(temp.Path), Is.Empty, "neither the target nor a temp file is left behind");
    }
}
