using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// The model families beyond Llama end to end, through <c>parity run</c> against llama.cpp: qwen2 (Q, K and V biases,
/// NEOX RoPE at freq_base 1e6, tied embeddings, a byte-level BPE vocabulary with <c>pre = qwen2</c> and no BOS,
/// ChatML) and qwen3 (per-head Q/K norms, head_dim from key_length, no biases).
/// </summary>
[TestFixture]
public sealed class FamilyTests
{
    // Compared tensors: 65 steps x 4 layers x the descriptor's per-layer nodes, plus embd and the output head per step;
    // the preset runs pin flash attention off so kq, the softmax and kqv are among them.
    [TestCase("qwen2-mini", 6760, TestName = "qwen2-mini Q4_K_M with ChatML is bit-identical for 64 greedy steps (the bias adds compared)")]
    [TestCase("qwen3-mini", 7020, TestName = "qwen3-mini Q4_K_M with ChatML is bit-identical for 64 greedy steps (the Q/K norms compared)")]
    [TestCase("qwen3moe-mini", 9100, TestName = "qwen3moe-mini Q4_K_M with ChatML is bit-identical for 64 greedy steps (router, expert choice and MUL_MAT_ID compared)")]
    public void A_qwen_mini_preset_with_chatml_is_bit_identical_for_64_greedy_steps(string preset, int pairs)
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", preset, "--quant", "Q4_K_M", "--chat", "--prompt", "Hello", "--steps", "64", "--flash-attn", "off", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("prompt tokens [2049 "), "<|im_start|> first: ChatML, and the qwen2 vocabulary adds no BOS");
        Assert.That(stdout, Does.Contain($"{pairs} tensor pairs compared"));
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
    public void Qwen3moe_routing_is_identical_across_near_ties_of_the_router()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "qwen3moe-mini", "--quant", "Q4_K_M", "--prompt", "Once upon a time there was a little girl", "--steps", "16", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical"), "every ffn_moe_argsort and ffn_moe_topk identical");

        // The run is only a test of ties if llama.cpp's own choice was that close: the margin between the last chosen
        // expert and the first one left out, at some token of some layer.
        var k = SyntheticPresets.Qwen3MoeMini.ExpertUsedCount;
        var reference = Parity.Dump.DumpRun.Open(Path.Combine(temp.Path, "llama.cpp"));
        var smallest = double.MaxValue;
        for (var i = 0; i < reference.StepCount; i++)
        {
            using var step = reference.OpenStep(i);
            foreach (var entry in step.Tensors.Where(t => t.Name.StartsWith("ffn_moe_probs-", StringComparison.Ordinal) && !t.Name.Contains(' ', StringComparison.Ordinal)))
            {
                var experts = (int)entry.Ne[0];
                var probs = step.GetFloats(entry).ToArray();
                for (var t = 0; t < entry.Ne[1]; t++)
                {
                    var sorted = probs.Skip(t * experts).Take(experts).OrderByDescending(p => p).ToArray();
                    smallest = Math.Min(smallest, sorted[k - 1] - sorted[k]);
                }
            }
        }

        Assert.That(smallest, Is.LessThan(1e-5), "a token whose k-th and (k+1)-th experts are within 1e-5 in llama.cpp's probabilities");
    }

    [Test]
    public void Phi3_mini_Q4_K_M_with_its_chat_template_is_bit_identical_for_64_greedy_steps()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "phi3-mini", "--quant", "Q4_K_M", "--chat", "--prompt", "Hello", "--steps", "64", "--flash-attn", "off", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("prompt tokens [1 2058 "), "BOS, <|user|>: Phi-3's template with the newlines after its special tokens stripped, as llama.cpp does for phi3 files");
        Assert.That(stdout, Does.Contain("5200 tensor pairs compared"), "the fused projection, the Q/K/V views and the Q scaling compared");
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical (regime: exact, rule exact-ggml)"));
    }

    [Test]
    public void Phi3_mini_with_the_real_phi3_vocabulary_spliced_in_is_bit_identical()
    {
        var vocab = SharedFixtures.Require("tokenizer/ggml-vocab-phi-3.gguf");
        using var temp = new TempDirectory();
        var model = temp.File("phi3-mini-real-vocab.gguf");
        SyntheticModel.Write(SyntheticPresets.Phi3Mini, model, vocab);
        var (code, stdout, stderr) = ParityCli.Run("run", "--model", model, "--quant", "Q4_K_M", "--chat", "--prompt", "Hello, how are you?", "--steps", "8", "--out", temp.File("run"));
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("prompt tokens [1 32010 "), "BOS, then Phi-3's own <|user|>");
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical"));
    }

    // The real-shape presets' widths over two layers (896 is no multiple of 256, so Q4_K_M falls back per tensor as
    // llama.cpp decides; Qwen3 0.6B's Q is twice n_embd), with the qwen2 pre-tokenizer's vocab-only file in place of
    // the generated vocabulary.
    [TestCase("qwen2.5-0.5b-shape")]
    [TestCase("qwen3-0.6b-shape")]
    public void Real_shape_rows_with_a_real_qwen2_vocabulary_spliced_in_are_bit_identical(string presetName)
    {
        var vocab = SharedFixtures.Require("tokenizer/small-bpe/vocab-bpe-qwen2.gguf");
        using var temp = new TempDirectory();
        var model = temp.File(presetName + "-2l.gguf");
        SyntheticModel.Write(SyntheticPresets.Get(presetName) with { NLayer = 2 }, model, vocab);
        var (code, stdout, stderr) = ParityCli.Run("run", "--model", model, "--quant", "Q4_K_M", "--prompt", "Hello world, it's 2024!", "--steps", "8", "--out", temp.File("run"));
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical"));
    }

    // 65 steps x (inp_scaled, embd, 4 layers x 27 nodes, result_norm, result_output). Gemma 2's mini preset slides a
    // window of 16 positions on layers 0 and 2: the chat prompt "Hello" (12 tokens)
    // slides from the fifth decode step, the long prompt (39 tokens) already within the prompt's batch.
    [TestCase("Hello", "7280 tensor pairs", TestName = "gemma2-mini Q4_K_M with its chat template is bit-identical for 64 greedy steps")]
    [TestCase(LongPrompt, "7280 tensor pairs", TestName = "gemma2-mini Q4_K_M with a chat prompt longer than the sliding window is bit-identical for 64 greedy steps")]
    public void Gemma2_mini_with_its_chat_template_is_bit_identical_for_64_greedy_steps(string prompt, string pairs)
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "gemma2-mini", "--quant", "Q4_K_M", "--chat", "--prompt", prompt, "--steps", "64", "--flash-attn", "off", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("prompt tokens [2 106 "), "<bos> (2), then <start_of_turn> (106): Gemma's layout and template");
        Assert.That(stdout, Does.Contain(pairs + " compared"), "the soft-cap, GEGLU, post-norm and windowed attention nodes compared");
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical (regime: exact, rule exact-ggml)"));
    }

    private const string LongPrompt = "Once upon a time there was a little girl named Sue who loved to play in the park with her dog and her friends every day.";

    // 65 steps x (inp_scaled, embd, 4 layers x 29 nodes, result_norm, result_output). Gemma 3's mini preset slides a
    // window of 8 positions on layers 0 and 2 at RoPE base 10000 (layers 1 and 3: global, base 1e6): both prompts
    // (12 and 39 tokens) are longer than the window.
    [TestCase("Hello", TestName = "gemma3-mini Q4_K_M with its chat template is bit-identical for 64 greedy steps")]
    [TestCase(LongPrompt, TestName = "gemma3-mini Q4_K_M with a chat prompt longer than the sliding window is bit-identical for 64 greedy steps")]
    public void Gemma3_mini_with_its_chat_template_is_bit_identical_for_64_greedy_steps(string prompt)
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "gemma3-mini", "--quant", "Q4_K_M", "--chat", "--prompt", prompt, "--steps", "64", "--flash-attn", "off", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("prompt tokens [2 106 "), "<bos> (2), then <start_of_turn> (106)");
        Assert.That(stdout, Does.Contain("7800 tensor pairs compared"), "the Q/K norms, post-norms and windowed attention nodes compared");
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical (regime: exact, rule exact-ggml)"));
    }

    // The real-shape presets' widths over two layers with a 4096-token Gemma vocabulary (no Gemma vocab-only file is in
    // the fixtures): Gemma 2 2B's 2304-wide rows, head_dim 256 and GQA 2 with its 4096 window on layer 0; Gemma 3 1B's
    // 1152-wide rows (no multiple of 256: Q4_K_M falls back per tensor as llama.cpp decides) with one KV head, both
    // layers sliding (pattern 6 by default) at base 10000 inside a 512 window.
    [TestCase("gemma-2-2b-shape")]
    [TestCase("gemma-3-1b-shape")]
    public void Gemma_real_shape_rows_over_two_layers_are_bit_identical(string presetName)
    {
        using var temp = new TempDirectory();
        var model = temp.File(presetName + "-2l.gguf");
        SyntheticModel.Write(SyntheticPresets.Get(presetName) with { NLayer = 2, VocabSize = 4096 }, model);
        var (code, stdout, stderr) = ParityCli.Run("run", "--model", model, "--quant", "Q4_K_M", "--chat", "--prompt", "Hello, how are you?", "--steps", "8", "--out", temp.File("run"));
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical"));
    }
}

