using Parity.Cli;
using Parity.Tests.Support;

namespace Parity.Tests.Cli;

[TestFixture]
public sealed class ModelCommandTests
{
    [Test]
    public void I_can_synthesize_tinyllama_mini_twice_and_get_byte_identical_files()
    {
        using var temp = new TempDirectory();
        var (code1, out1, _) = Run("model", "synth", "--preset", "tinyllama-mini", "--out", temp.File("a.gguf"));
        var (code2, _, _) = Run("model", "synth", "--preset", "tinyllama-mini", "--out", temp.File("b.gguf"));
        Assert.That((code1, code2), Is.EqualTo((0, 0)));
        Assert.That(out1, Does.Contain("preset tinyllama-mini"));
        Assert.That(File.ReadAllBytes(temp.File("b.gguf")), Is.EqualTo(File.ReadAllBytes(temp.File("a.gguf"))));
        Assert.That(Directory.GetFiles(temp.Path), Has.Length.EqualTo(2), "no temporary files left behind");
    }

    [Test]
    public async Task Synth_with_a_vocab_file_copies_its_tokenizer_and_llama_cpp_tokenizes_with_it()
    {
        var vocab = SharedFixtures.Require("tokenizer/ggml-vocab-gpt-2.gguf");
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = Run("model", "synth", "--preset", "micro", "--vocab", vocab, "--out", temp.File("m.gguf"));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("preset micro"));
        using (var source = Parity.Gguf.GgufFile.Open(vocab))
        using (var model = Parity.Gguf.GgufFile.Open(temp.File("m.gguf")))
        {
            foreach (var (key, value) in source.Metadata.Where(m => m.Key.StartsWith("tokenizer.", StringComparison.Ordinal)))
            {
                Assert.That(model.GetValue(key).Raw, Is.EqualTo(value.Raw), key);
            }

            Assert.That(model.GetTensor("token_embd.weight").RowCount, Is.EqualTo(50257), "n_vocab follows the copied token list");
        }

        Assert.That(await Models.Runner.TokenizeAsync(temp.File("m.gguf"), "Hello world"), Is.EqualTo(new[] { 15496, 995 }));
        var (bad, _, badErr) = Run("model", "synth", "--preset", "micro", "--vocab", temp.File("missing.gguf"), "--out", temp.File("x.gguf"));
        Assert.That(bad, Is.EqualTo(2));
        Assert.That(badErr, Does.Contain("missing.gguf"));
        Assert.That(File.Exists(temp.File("x.gguf")), Is.False);
    }

    [Test]
    public void Model_info_shows_the_hyperparameters_of_stories260K()
    {
        var path = SharedFixtures.Require("models/stories260K.gguf");
        var (code, stdout, _) = Run("model", "info", path);
        Assert.That(code, Is.Zero);
        Assert.Multiple(() =>
        {
            Assert.That(stdout, Does.Match(@"n_embd\s+64\n"));
            Assert.That(stdout, Does.Match(@"n_layer\s+5\n"));
            Assert.That(stdout, Does.Match(@"n_ff\s+172\n"));
            Assert.That(stdout, Does.Match(@"n_head\s+8\n"));
            Assert.That(stdout, Does.Match(@"n_head_kv\s+4 \(GQA 2"));
            Assert.That(stdout, Does.Match(@"head_dim\s+8\n"));
            Assert.That(stdout, Does.Match(@"context\s+2048\n"));
            Assert.That(stdout, Does.Contain("freq_base 10000"));
            Assert.That(stdout, Does.Match(@"rms_eps\s+1e-05\n"));
            Assert.That(stdout, Does.Contain("512 tokens: 253 normal, 2 control, 256 byte, 1 unknown"));
            Assert.That(stdout, Does.Contain("bos 1, eos 2, unk 0"));
            Assert.That(stdout, Does.Contain("48 (").And.Contain("f32 x48"));
            Assert.That(stdout, Does.Match(@"lm head\s+output.weight"));
        });
    }

    [Test]
    public void Model_info_on_a_synthetic_model_shows_its_vocabulary_and_types()
    {
        using var temp = new TempDirectory();
        var path = temp.File("m.gguf");
        Assert.That(Run("model", "synth", "--preset", "micro", "--type", "f16", "--out", path).Code, Is.Zero);
        var (code, stdout, _) = Run("model", "info", path);
        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Contain("MOSTLY_F16"));
        Assert.That(stdout, Does.Contain("f16 x"));
        Assert.That(stdout, Does.Contain("f32 x5"), "norms stay F32");
        Assert.That(stdout, Does.Contain("add_bos true"));
        Assert.That(stdout, Does.Contain("chat template yes"));
    }

    [Test]
    public void Model_info_on_a_malformed_file_exits_2_naming_the_file_and_offset()
    {
        using var temp = new TempDirectory();
        var path = temp.Write("bad.gguf", new RawGguf().Header(3, 0, 1UL << 62).ToArray());
        var (code, _, stderr) = Run("model", "info", path);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain(path).And.Contain("at byte 16").And.Contain("metadata_kv_count"));
    }

    [Test]
    public void Bad_usage_exits_2()
    {
        Assert.That(Run("model", "synth", "--preset", "nope", "--out", "/tmp/x.gguf").Code, Is.EqualTo(2));
        Assert.That(Run("model", "synth").Code, Is.EqualTo(2));
        Assert.That(Run("no-such-verb").Code, Is.EqualTo(2));
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
