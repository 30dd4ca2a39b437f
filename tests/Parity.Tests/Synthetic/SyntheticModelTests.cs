using System.Security.Cryptography;
using Parity.Gguf;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Synthetic;

[TestFixture]
public sealed class SyntheticModelTests
{
    private TempDirectory _temp = null!;
    private string _mini = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _mini = _temp.File("tinyllama-mini.gguf");
        SyntheticModel.Write(SyntheticPresets.TinyLlamaMini, _mini);
    }

    [OneTimeTearDown]
    public void TearDown() => _temp.Dispose();

    /// <summary>
    /// The bytes of a preset are part of the contract (goldens record the model's sha256). These hashes change
    /// only with <see cref="SyntheticModel.GeneratorVersion"/>; a mismatch on some machine means the generator
    /// is not machine-independent.
    /// </summary>
    [TestCase(0UL, "f32", "b6b94c48cb86d7831b94245ce4b6bebb6615afdcdb3099a7c71b8dcf49bf0f73")]
    [TestCase(0UL, "f16", "ebca3f76e9c0983f11087ac397344c591a58df78b2fd7c2fea0f8bbffb272d22")]
    [TestCase(1UL, "f32", "6dd560728920064973f37a779c3b97c17662f17b784a6e8715a5ca8dfced272c")]
    public void The_micro_preset_has_pinned_bytes(ulong seed, string type, string sha256)
    {
        var path = _temp.File($"micro-{seed}-{type}.gguf");
        SyntheticModel.Write(SyntheticPresets.Micro, path, seed, type == "f16" ? GgmlType.F16 : GgmlType.F32);
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), Is.EqualTo(sha256));
    }

    [Test]
    public void Tinyllama_mini_has_tinyllamas_structure_scaled_down()
    {
        using var file = GgufFile.Open(_mini);
        var h = LlamaHyperparameters.Read(file);
        Assert.Multiple(() =>
        {
            Assert.That(h.HeadDim, Is.EqualTo(64));
            Assert.That(h.GqaGroup, Is.EqualTo(8), "8 query heads per KV head, as TinyLlama");
            Assert.That(h.HeadCountKv, Is.GreaterThan(1), "a wrong GQA mapping must be visible");
            Assert.That(h.BlockCount, Is.EqualTo(4));
            Assert.That(h.EmbeddingLength % 256, Is.Zero);
            Assert.That(h.FeedForwardLength % 256, Is.Zero);
            Assert.That(h.VocabSize, Is.InRange(1000, 4000));
            Assert.That(file.Tensors.Where(t => t.Dimensions.Count == 2).All(t => t.RowLength % 256 == 0), Is.True, "every K-quant applies");
            Assert.That(file.Tensors, Has.Count.EqualTo(2 + 9 * 4 + 1));
        });
    }

    [Test]
    public void Norm_weights_are_near_one_with_spread_and_a_few_small_outlier_channels()
    {
        using var file = GgufFile.Open(_mini);
        var w = Floats(file, "blk.0.attn_norm.weight");
        var typical = w.Where(x => x > 0.5f).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(typical.Average(), Is.EqualTo(1.0).Within(0.02));
            Assert.That(Std(typical), Is.InRange(0.1, 0.2));
            Assert.That(w.Count(x => x < 0.5f), Is.InRange(2, 16), "outlier channels get small norm weights, as in trained models");
        });
    }

    [Test]
    public void The_residual_stream_has_outlier_channels_and_matrices_have_per_row_scale_and_heavy_tails()
    {
        using var file = GgufFile.Open(_mini);
        var embd = Floats(file, "token_embd.weight");
        const int nEmbd = 1024;
        var channelMeanAbs = new double[nEmbd];
        for (var i = 0; i < embd.Length; i++)
        {
            channelMeanAbs[i % nEmbd] += Math.Abs(embd[i]);
        }

        var sorted = channelMeanAbs.Order().ToArray();
        Assert.That(sorted[^1] / sorted[nEmbd / 2], Is.GreaterThan(10), "a few channels carry much larger values");

        var q = Floats(file, "blk.1.attn_q.weight");
        var rowRms = Enumerable.Range(0, nEmbd).Select(r => Math.Sqrt(q.AsSpan(r * nEmbd, nEmbd).ToArray().Average(x => (double)x * x))).ToArray();
        Assert.That(Std(rowRms) / rowRms.Average(), Is.InRange(0.15, 0.5), "per-row scale varies");

        var mean = q.Average(x => (double)x);
        var variance = q.Average(x => (x - mean) * (x - mean));
        var kurtosis = q.Average(x => Math.Pow(x - mean, 4)) / (variance * variance);
        Assert.That(kurtosis, Is.GreaterThan(3.2), "heavier tails than a normal distribution (kurtosis 3)");
    }

    [Test]
    public void A_different_seed_gives_different_weights_and_the_same_shapes()
    {
        var other = _temp.File("seed1.gguf");
        SyntheticModel.Write(SyntheticPresets.Micro, other, seed: 1);
        var first = _temp.File("seed0.gguf");
        SyntheticModel.Write(SyntheticPresets.Micro, first, seed: 0);
        using var a = GgufFile.Open(first);
        using var b = GgufFile.Open(other);
        Assert.That(b.Tensors.Select(t => (t.Name, t.ShapeString)), Is.EqualTo(a.Tensors.Select(t => (t.Name, t.ShapeString))));
        Assert.That(b.GetTensorBytes(b.GetTensor("output.weight")).SequenceEqual(a.GetTensorBytes(a.GetTensor("output.weight"))), Is.False);
    }

    [Test]
    public void Large_presets_have_the_real_models_shapes()
    {
        var t = SyntheticPresets.Get("tinyllama-1.1b-shape");
        Assert.That((t.NEmbd, t.NFf, t.NLayer, t.NHead, t.NHeadKv, t.VocabSize), Is.EqualTo((2048, 5632, 22, 32, 4, 32000)));
        var l = SyntheticPresets.Get("llama2-7b-shape");
        Assert.That((l.NEmbd, l.NFf, l.NLayer, l.NHead, l.NHeadKv, l.VocabSize), Is.EqualTo((4096, 11008, 32, 32, 32, 32000)));
        Assert.That(t.F32Bytes, Is.InRange(4.3e9, 4.5e9), "TinyLlama 1.1B is about 4.4 GB in F32");
        Assert.That(() => SyntheticPresets.Get("nope"), Throws.ArgumentException.With.Message.Contains("tinyllama-mini"));
    }

    [Test]
    public void Only_f32_and_f16_can_be_synthesized()
    {
        Assert.That(() => SyntheticModel.CreateWriter(SyntheticPresets.Micro, 0, GgmlType.Q4_0), Throws.ArgumentException.With.Message.Contains("quantize them with llama.cpp"));
    }

    private static float[] Floats(GgufFile file, string tensor) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.GetTensorBytes(file.GetTensor(tensor))).ToArray();

    private static double Std(IEnumerable<double> values)
    {
        var v = values.ToArray();
        var m = v.Average();
        return Math.Sqrt(v.Average(x => (x - m) * (x - m)));
    }

    private static double Std(float[] values) => Std(values.Select(x => (double)x));
}
