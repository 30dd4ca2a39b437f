using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// Llama 3 end to end: a byte-level BPE vocabulary with Llama 3's chat template, tied embeddings, rope_freqs factors
/// and freq_base 500000, through <c>parity run</c> against llama.cpp.
/// </summary>
[TestFixture]
public sealed class Llama3Tests
{
    [Test]
    public void Llama3_mini_Q4_K_M_with_the_chat_template_is_bit_identical_for_64_greedy_steps()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "llama3-mini", "--quant", "Q4_K_M", "--chat", "--prompt", "Hello", "--steps", "64", "--flash-attn", "off", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("prompt tokens [2048 2054 "), "<|begin_of_text|><|start_header_id|>... from Llama 3's template");
        Assert.That(stdout, Does.Contain("6240 tensor pairs compared"));
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical (regime: exact, rule exact-ggml)"));
    }

    [Test]
    public void The_engine_tokenizes_the_llama3_chat_prompt_as_llama_cpp_does()
    {
        var model = Models.Synthetic(Parity.Harness.Synthetic.SyntheticPresets.Llama3Mini);
        const string text = "<|start_header_id|>user<|end_header_id|>\n\nHello, world! 123 don't<|eot_id|>";
        var (engineCode, engine, _) = ParityCli.Run("tokenize", "--side", "engine", "--model", model, text);
        var (llamaCode, llama, _) = ParityCli.Run("tokenize", "--side", "llama.cpp", "--model", model, text);
        Assert.That((engineCode, llamaCode), Is.EqualTo((0, 0)));
        Assert.That(engine, Is.EqualTo(llama));
        Assert.That(engine, Does.StartWith("2048 2054 "), "BOS, then <|start_header_id|> parsed as a special token");
    }
}
