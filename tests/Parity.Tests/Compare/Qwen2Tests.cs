using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// Qwen2 end to end: Q, K and V biases, NEOX RoPE at freq_base 1e6, tied embeddings, a byte-level BPE vocabulary with
/// <c>pre = qwen2</c> and no BOS, ChatML, through <c>parity run</c> against llama.cpp.
/// </summary>
[TestFixture]
public sealed class Qwen2Tests
{
    [Test]
    public void Qwen2_mini_Q4_K_M_with_chatml_is_bit_identical_for_64_greedy_steps()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "qwen2-mini", "--quant", "Q4_K_M", "--chat", "--prompt", "Hello", "--steps", "64", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("prompt tokens [2049 "), "<|im_start|> first: ChatML, and qwen2 adds no BOS");
        Assert.That(stdout, Does.Contain("6760 tensor pairs compared"), "65 steps x 4 layers x 26 nodes: the bias adds are compared");
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical (regime: exact, rule exact-ggml)"));
    }

    [Test]
    public void The_engine_tokenizes_a_chatml_prompt_as_llama_cpp_does()
    {
        var model = Models.Synthetic(SyntheticPresets.Qwen2Mini);
        const string text = "<|im_start|>user\nHello, world! 123 don't   stop<|im_end|>\n<|im_start|>assistant\n";
        var (engineCode, engine, _) = ParityCli.Run("tokenize", "--side", "engine", "--model", model, text);
        var (llamaCode, llama, _) = ParityCli.Run("tokenize", "--side", "llama.cpp", "--model", model, text);
        Assert.That((engineCode, llamaCode), Is.EqualTo((0, 0)));
        Assert.That(engine, Is.EqualTo(llama));
        Assert.That(engine, Does.StartWith("2049 "), "no BOS, then <|im_start|> parsed as a special token");
    }

    [Test]
    public void Qwen2_5_0_5B_rows_with_a_real_qwen2_vocabulary_spliced_in_are_bit_identical()
    {
        // Qwen2.5 0.5B's widths (896 is not a multiple of 256, so Q4_K_M falls back per tensor as llama.cpp decides)
        // over two layers, with the qwen2 pre-tokenizer's vocab-only file in place of the generated vocabulary.
        var vocab = SharedFixtures.Require("tokenizer/small-bpe/vocab-bpe-qwen2.gguf");
        using var temp = new TempDirectory();
        var model = temp.File("qwen2.5-0.5b-2l.gguf");
        SyntheticModel.Write(SyntheticPresets.Qwen25HalfBShape with { NLayer = 2 }, model, vocab);
        var (code, stdout, stderr) = ParityCli.Run("run", "--model", model, "--quant", "Q4_K_M", "--prompt", "Hello world, it's 2024!", "--steps", "8", "--out", temp.File("run"));
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical"));
    }
}
