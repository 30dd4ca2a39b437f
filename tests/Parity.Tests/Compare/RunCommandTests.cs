using Parity.Dump;
using Parity.Cli;
using Parity.Engine.Model;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary><c>parity run</c> end to end, with llama.cpp through the runner and the engine in process.</summary>
[TestFixture]
public sealed class RunCommandTests
{
    [Test]
    public void I_run_parity_run_with_no_arguments_and_get_the_per_layer_table_and_parity_holds()
    {
        using var temp = new TempDirectory();
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = temp.Path;
        try
        {
            var (code, stdout, stderr) = ParityCli.Run("run");
            Assert.That(code, Is.Zero, stdout + stderr);
            Assert.That(stdout, Does.Contain("tinyllama-mini").And.Contain("Q4_K_M").And.Contain("prompt tokens [1 959]"));
            Assert.That(stdout, Does.Contain("KV cache f16, flash attention on, repack on (llama.cpp's defaults)"), "llama.cpp's defaults: flash attention auto, resolved to on, and weights repacked");
            Assert.That(stdout, Does.Contain("l_out RMS A").And.Contain("worst tensor").And.Contain("PARITY HOLDS"));
            Assert.That(File.Exists(Path.Combine(temp.Path, "out", "run", "report.csv")), Is.True);
            Assert.That(File.Exists(Path.Combine(temp.Path, "out", "run", "report.json")), Is.True);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Test]
    public void I_run_with_no_repack_and_both_sides_keep_the_plain_layout_and_the_header_says_so()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "Q4_0", "--no-repack", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("repack off").And.Contain("PARITY HOLDS"));
    }

    [Test]
    public void Repack_and_no_repack_together_are_refused_with_exit_2()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "micro", "--repack", "--no-repack", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(2), stdout + stderr);
        Assert.That(stderr + stdout, Does.Contain("--repack and --no-repack"));
    }

    [Test]
    public void Stories260K_once_upon_a_time_for_16_steps_holds_and_shows_the_same_text_on_both_sides()
    {
        var model = SharedFixtures.Require("models/stories260K.gguf");
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--model", model, "--prompt", "Once upon a time", "--steps", "16", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        var a = stdout.Split('\n').Single(l => l.StartsWith("greedy text A:", StringComparison.Ordinal))["greedy text A:".Length..];
        var b = stdout.Split('\n').Single(l => l.StartsWith("greedy text B:", StringComparison.Ordinal))["greedy text B:".Length..];
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.Trim(), Has.Length.GreaterThan(20));
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
    }

    [Test]
    public async Task A_perturbed_engine_tensor_breaks_parity_with_exit_1_and_is_named_as_the_first_failure()
    {
        using var temp = new TempDirectory();
        var runs = new PlantedRuns(Models.Synthetic(SyntheticPresets.Micro), temp.Path);
        var reference = await runs.ReferenceAsync("Hello, how are you?", steps: 8);
        var engine = runs.Engine(reference, PlantedBug.Rewriting((name, _, data, _) =>
        {
            if (name == "ffn_up-1")
            {
                data[5] += 0.5f;
            }
        }));
        var (code, stdout, _) = ParityCli.Run("diff", engine, reference.Directory, "--out", temp.File("diff"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("first non-identical tensor: step 0 ffn_up-1 (MUL_MAT), 1 of"));
        Assert.That(stdout, Does.Contain("PARITY BROKEN"));
    }

    /// <summary>The engine issue's F32 criterion: every traced tensor of every step within NMSE 1e-10 (the F32/F32 rule).</summary>
    [Test]
    public void Tinyllama_mini_f32_with_an_f32_cache_matches_every_tensor_to_1e_10_over_32_greedy_steps()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--quant", "F32", "--cache-type-k", "f32", "--cache-type-v", "f32", "--flash-attn", "off", "--prompt", "Hello, how are you?", "--steps", "32", "--out", temp.Path, "--format", "json");
        Assert.That(code, Is.Zero, stderr);
        using var report = System.Text.Json.JsonDocument.Parse(stdout);
        var nmse = report.RootElement.GetProperty("tensors").EnumerateArray()
            .Where(t => t.GetProperty("nmse").ValueKind == System.Text.Json.JsonValueKind.Number)
            .Select(t => t.GetProperty("nmse").GetDouble()).ToList();
        Assert.That(nmse, Has.Count.GreaterThan(3000), "96 tensors x 33 steps");
        Assert.That(nmse.Max(), Is.LessThanOrEqualTo(1e-10));
        var steps = report.RootElement.GetProperty("steps").EnumerateArray().ToList();
        Assert.That(steps, Has.Count.EqualTo(33));
        Assert.That(steps.All(s => s.GetProperty("logits").EnumerateArray().Last().GetProperty("top1Agrees").GetBoolean()), Is.True, "32 greedy steps choose the same tokens");
    }

    [Test]
    public void Parity_diff_of_a_hand_edited_dump_exits_1_and_names_the_tensor()
    {
        using var temp = new TempDirectory();
        var model = Models.Synthetic(Parity.Harness.Synthetic.SyntheticPresets.Micro);
        // The plain configuration, whose F32-weight bound (f32-weights-f16-cache) a 1.5x change of one value breaks.
        var (code, _, stderr) = ParityCli.Run("dump", "--side", "engine", "--model", model, "--prompt", "Hello, how are you?", "--flash-attn", "off", "--out", temp.File("a"));
        Assert.That(code, Is.Zero, stderr);
        DumpEditor.Rewrite(temp.File("a"), temp.File("b"), (step, e, values, dump) =>
        {
            if (e.Key != "attn_out-1")
            {
                return null;
            }

            values[3] *= 1.5f;
            return values;
        });
        var (same, _, _) = ParityCli.Run("diff", temp.File("a"), temp.File("a"), "--out", temp.File("r1"));
        Assert.That(same, Is.Zero);
        var (broken, stdout, _) = ParityCli.Run("diff", temp.File("b"), temp.File("a"), "--out", temp.File("r2"));
        Assert.That(broken, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("first tensor out of tolerance: step 0 attn_out-1 (MUL_MAT)").And.Contain("inputs identical"));
        Assert.That(File.ReadAllText(temp.File("r2/report.csv")), Does.Contain("attn_out-1"));
    }

    [Test]
    public void An_input_that_differs_within_its_tolerance_is_not_named_as_the_cause()
    {
        using var temp = new TempDirectory();
        var model = Models.Synthetic(Parity.Harness.Synthetic.SyntheticPresets.Micro);
        var (code, _, stderr) = ParityCli.Run("dump", "--side", "engine", "--model", model, "--prompt", "Hello, how are you?", "--flash-attn", "off", "--out", temp.File("a"));
        Assert.That(code, Is.Zero, stderr);
        DumpEditor.Rewrite(temp.File("a"), temp.File("b"), (step, e, values, dump) =>
        {
            switch (e.Key)
            {
                case "kqv_out-1":
                    values[0] = MathF.BitIncrement(values[0]);
                    return values;
                case "attn_out-1":
                    values[3] *= 1.5f;
                    return values;
                default:
                    return null;
            }
        });

        var (broken, stdout, _) = ParityCli.Run("diff", temp.File("b"), temp.File("a"), "--out", temp.File("r"));
        Assert.That(broken, Is.EqualTo(1), stdout);
        Assert.That(stdout, Does.Contain("first tensor out of tolerance: step 0 attn_out-1 (MUL_MAT)"));
        Assert.That(stdout, Does.Contain("inputs differ within tolerance (kqv_out-1)").And.Not.Contain("already broken"));
    }

    [Test]
    public void Parity_diff_of_a_corrupt_dump_exits_2_naming_the_file()
    {
        using var temp = new TempDirectory();
        var model = Models.Synthetic(Parity.Harness.Synthetic.SyntheticPresets.Micro);
        ParityCli.Run("dump", "--side", "engine", "--model", model, "--tokens", "1,2,3", "--out", temp.File("a"));
        var tensors = temp.File("a/step-0000/tensors.safetensors");
        File.WriteAllBytes(tensors, File.ReadAllBytes(tensors)[..100]);
        var (code, _, stderr) = ParityCli.Run("diff", temp.File("a"), temp.File("a"), "--out", temp.File("r"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("tensors.safetensors"));
    }

    [Test]
    public void A_malformed_model_is_bad_input_with_exit_2_before_anything_runs()
    {
        using var temp = new TempDirectory();
        var model = temp.Write("bad.gguf", File.ReadAllBytes(Models.Synthetic(Parity.Harness.Synthetic.SyntheticPresets.Micro))[..1000]);
        var (code, _, stderr) = ParityCli.Run("run", "--model", model, "--out", temp.File("out"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain(model).And.Contain("invalid GGUF at byte"));
    }

    [TestCase("1,99999", "id 99999 is outside the vocabulary")]
    [TestCase("1,abc", "'abc'")]
    public void Bad_token_ids_are_bad_input_with_exit_2(string tokens, string message)
    {
        using var temp = new TempDirectory();
        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--tokens", tokens, "--out", temp.Path);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain(message));
    }

    /// <summary>
    /// Options the engine does not compute stop a comparison before llama.cpp runs, naming the option, instead of
    /// surfacing as a parity failure; a quantized V without flash attention (<c>--flash-attn off</c>) is refused with
    /// llama.cpp's own reason, for every quantized type.
    /// </summary>
    [TestCase("--cache-type-k", "q6_k", "--cache-type-k q6_k: expected one of the KV cache types llama.cpp offers on a CPU: f32, f16, q8_0, q4_0, bf16, q4_1, q5_0, q5_1, iq4_nl")]
    [TestCase("--cache-type-v", "q8_0", "quantized V cache was requested, but this requires Flash Attention")]
    [TestCase("--cache-type-v", "q5_1", "--cache-type-v q5_1 without flash attention: llama.cpp refuses it (\"quantized V cache was requested, but this requires Flash Attention\")")]
    [TestCase("--cache-type-v", "iq4_nl", "quantized V cache was requested, but this requires Flash Attention")]
    public void Options_the_engine_does_not_compute_are_bad_usage_with_exit_2_before_llama_cpp_runs(string option, string value, string message)
    {
        using var temp = new TempDirectory();
        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--prompt", "Hi", "--flash-attn", "off", option, value, "--out", temp.Path);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain(message));
        Assert.That(Directory.Exists(Path.Combine(temp.Path, "llama.cpp")), Is.False, "llama.cpp was not run");
    }

    // ggml-cpu's tiled flash attention (a batch of 64 or more tokens, K and V both F16 or F32): 100 tokens make a
    // partial second query tile and KV tile; F32 weights and Q4_0 (repacked) with an F16 cache, F16 weights with F32.
    [TestCase("F32", "f16")]
    [TestCase("Q4_0", "f16")]
    [TestCase("F16", "f32")]
    public void A_prompt_ggml_tiles_under_flash_attention_is_bit_identical(string quant, string cache)
    {
        using var temp = new TempDirectory();
        var tokens = string.Join(',', Enumerable.Range(0, 100).Select(i => 3 + (i * 37 % 500)));
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", quant, "--tokens", tokens, "--steps", "2", "--flash-attn", "on", "--cache-type-k", cache, "--cache-type-v", cache, "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS: every compared tensor is bit-identical"));
        var prompt = File.ReadLines(Path.Combine(temp.Path, "report.csv")).Where(l => l.StartsWith("0,kqv_out-", StringComparison.Ordinal)).ToList();
        Assert.That(prompt, Is.Not.Empty.And.All.Contain(",Passed,"), "the prompt's flash attention output (kqv_out) is compared");
    }

    [TestCase("auto", "f16", "f16")]
    [TestCase("on", "q4_0", "q8_0")]
    public void Flash_attention_is_bit_identical_and_the_header_and_manifests_record_it(string flash, string k, string v)
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "Q4_K_M", "--prompt", "Hello", "--steps", "3", "--flash-attn", flash, "--cache-type-k", k, "--cache-type-v", v, "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("flash attention on").And.Contain("PARITY HOLDS: every compared tensor is bit-identical"));
        foreach (var side in new[] { "llama.cpp", "engine" })
        {
            var options = DumpRun.Open(Path.Combine(temp.Path, side)).Manifest.Options;
            Assert.That((options.FlashAttention, options.TypeK, options.TypeV), Is.EqualTo((true, k, v)), side);
        }
    }

    [Test]
    public void The_chat_template_wraps_the_prompt_the_same_way_on_both_sides()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", "--prompt", "Hello", "--chat", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stderr, Does.Not.Contain("warning: the engine's tokenizer"));
        var tokens = stdout.Split('\n').Single(l => l.StartsWith("prompt tokens", StringComparison.Ordinal));
        Assert.That(tokens.Split(' ').Length, Is.GreaterThan(8), "<|user|>\\nHello</s>\\n<|assistant|>\\n is several tokens");
        Assert.That(tokens, Does.Contain(" 2 "), "</s> is parsed as the EOS token");
    }
}
