using Parity.Gguf;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Gguf;

[TestFixture]
public sealed class GgufReaderTests
{
    [Test]
    public void Stories260K_reads_with_the_hyperparameters_its_provenance_lists()
    {
        using var file = GgufFile.Open(SharedFixtures.Require("models/stories260K.gguf"));
        var h = LlamaHyperparameters.Read(file);
        Assert.Multiple(() =>
        {
            Assert.That(h.Architecture, Is.EqualTo("llama"));
            Assert.That(h.BlockCount, Is.EqualTo(5));
            Assert.That(h.EmbeddingLength, Is.EqualTo(64));
            Assert.That(h.FeedForwardLength, Is.EqualTo(172));
            Assert.That(h.HeadCount, Is.EqualTo(8));
            Assert.That(h.HeadCountKv, Is.EqualTo(4));
            Assert.That(h.HeadDim, Is.EqualTo(8));
            Assert.That(h.ContextLength, Is.EqualTo(2048));
            Assert.That(h.RmsEpsilon, Is.EqualTo(1e-5f));
            Assert.That(h.RopeFreqBase, Is.EqualTo(10000f), "no rope.freq_base key: llama.cpp's default");
            Assert.That(h.VocabSize, Is.EqualTo(512));
            Assert.That(file.Tensors, Has.Count.EqualTo(48));
            Assert.That(file.Tensors.Select(t => t.Type).Distinct(), Is.EqualTo(new[] { GgmlType.F32 }));
            Assert.That(file.TryGetTensor("output.weight", out _), Is.True);
        });
    }

    [Test]
    public void Llama2_tiny_random_reads_with_f16_matrices_and_f32_norms()
    {
        using var file = GgufFile.Open(SharedFixtures.Require("models/llama-2-tiny-random.gguf"));
        var h = LlamaHyperparameters.Read(file);
        Assert.Multiple(() =>
        {
            Assert.That((h.EmbeddingLength, h.BlockCount, h.FeedForwardLength, h.HeadCount, h.HeadCountKv), Is.EqualTo((8, 1, 32, 2, 2)));
            Assert.That(h.RopeDimensionCount, Is.EqualTo(4));
            Assert.That(h.VocabSize, Is.EqualTo(32000));
            Assert.That(file.GetTensor("blk.0.attn_q.weight").Type, Is.EqualTo(GgmlType.F16));
            Assert.That(file.GetTensor("blk.0.attn_norm.weight").Type, Is.EqualTo(GgmlType.F32));
        });
    }

    [Test]
    public void Tensor_infos_give_ggml_ne_order_and_data_views_into_the_map()
    {
        using var temp = new TempDirectory();
        var path = temp.File("m.gguf");
        SyntheticModel.Write(SyntheticPresets.Micro, path);
        using var file = GgufFile.Open(path);
        var embd = file.GetTensor("token_embd.weight");
        Assert.Multiple(() =>
        {
            Assert.That(embd.Dimensions, Is.EqualTo(new long[] { 256, 512 }), "ne[0] = n_embd, ne[1] = n_vocab");
            Assert.That(embd.RowLength, Is.EqualTo(256));
            Assert.That(embd.RowCount, Is.EqualTo(512));
            Assert.That(embd.ByteSize, Is.EqualTo(256 * 512 * 4));
            Assert.That(embd.FileOffset % file.Alignment, Is.Zero);
            Assert.That(file.GetTensorBytes(embd).Length, Is.EqualTo(embd.ByteSize));
        });
    }

    [Test]
    public void A_missing_file_names_the_path()
    {
        Assert.That(() => GgufFile.Open("/nonexistent/model.gguf"), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("/nonexistent/model.gguf"));
    }

    [Test]
    public void Block_geometry_matches_ggml_for_the_common_types()
    {
        // (type, elements per block, bytes per block) as ggml's block structs define them.
        var expected = new (GgmlType, int, int)[]
        {
            (GgmlType.F32, 1, 4), (GgmlType.F16, 1, 2), (GgmlType.BF16, 1, 2),
            (GgmlType.Q4_0, 32, 18), (GgmlType.Q4_1, 32, 20), (GgmlType.Q5_0, 32, 22), (GgmlType.Q5_1, 32, 24),
            (GgmlType.Q8_0, 32, 34), (GgmlType.Q8_1, 32, 36), (GgmlType.Q2_K, 256, 84), (GgmlType.Q3_K, 256, 110),
            (GgmlType.Q4_K, 256, 144), (GgmlType.Q5_K, 256, 176), (GgmlType.Q6_K, 256, 210), (GgmlType.Q8_K, 256, 292),
            (GgmlType.IQ4_NL, 32, 18), (GgmlType.IQ4_XS, 256, 136), (GgmlType.TQ1_0, 256, 54), (GgmlType.TQ2_0, 256, 66),
        };
        foreach (var (type, block, size) in expected)
        {
            var info = GgmlTypeInfo.Get(type);
            Assert.That((info.BlockSize, info.TypeSize), Is.EqualTo((block, size)), type.ToString());
        }

        Assert.That(GgmlTypeInfo.Get(GgmlType.Q4_K).GgmlName, Is.EqualTo("q4_K"));
        Assert.That(GgmlTypeInfo.Get(GgmlType.Q8_0).GgmlName, Is.EqualTo("q8_0"));
    }
}
