using Parity.Cli;
using Parity.Gguf;
using Parity.Tests.Support;

namespace Parity.Tests.Cli;

/// <summary>
/// <c>parity tokenize</c> and <c>parity run</c> on byte-level BPE vocabularies: the engine side answers for every
/// pre-tokenizer it implements, and a vocabulary whose <c>tokenizer.ggml.pre</c> it does not know is bad input
/// (exit 2) naming the value, before llama.cpp is started.
/// </summary>
[TestFixture]
public sealed class TokenizeCommandTests
{
    private const string SmallLlama3 = "tokenizer/small-bpe/vocab-bpe-llama3.gguf";

    [Test]
    public void An_unknown_pre_tokenizer_is_bad_input_naming_it()
    {
        using var temp = new TempDirectory();
        var path = WithPre(SharedFixtures.Require(SmallLlama3), "not-a-pre-tokenizer", temp.File("unknown-pre.gguf"));

        var (code, stdout, stderr) = ParityCli.Run("tokenize", "--side", "engine", "--model", path, "Hello world");

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.Contain(path).And.Contain("tokenizer.ggml.pre is 'not-a-pre-tokenizer'").And.Contain("the engine implements:"));
    }

    [Test]
    public void Run_refuses_an_unknown_pre_tokenizer_before_llama_cpp_runs()
    {
        using var temp = new TempDirectory();
        // A whole model (llama3-mini) with only its pre-tokenizer changed, so the vocabulary is the one thing wrong.
        var path = WithPre(Models.Synthetic(Parity.Harness.Synthetic.SyntheticPresets.Llama3Mini), "not-a-pre-tokenizer", temp.File("unknown-pre.gguf"));
        var output = temp.File("out");

        var (code, _, stderr) = ParityCli.Run("run", "--model", path, "--prompt", "Hello", "--steps", "1", "--out", output);

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain("tokenizer.ggml.pre is 'not-a-pre-tokenizer'"));
        Assert.That(Directory.Exists(Path.Combine(output, "llama.cpp")), Is.False, "llama.cpp never ran");
    }

    [TestCase("tokenizer/ggml-vocab-gpt-2.gguf", "Hello world", "15496 995")]
    [TestCase("tokenizer/ggml-vocab-deepseek-llm.gguf", "Hello world", "100000 17464 1843")]
    public void The_engine_side_tokenizes_a_bpe_vocabulary(string vocab, string text, string expected)
    {
        var (code, stdout, stderr) = ParityCli.Run("tokenize", "--side", "engine", "--model", SharedFixtures.Require(vocab), text);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout.Trim(), Is.EqualTo(expected));
    }

    private static string WithPre(string source, string pre, string path) =>
        GgufEdits.Copy(source, path, extraKey: (GgufKeys.TokenizerPre, GgufValue.Of(pre)));
}
