using Parity.Dump;
using Parity.Gguf;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Runner;

/// <summary>
/// A real llama.cpp dump of tinyllama-mini (F32) for "Hello, how are you?" with 8 greedy steps, checked against
/// llama.cpp's own tokenizer and logits, and read back with an independent safetensors parser.
/// </summary>
[TestFixture]
public sealed class LlamaCppDumpTests
{
    private const string Prompt = "Hello, how are you?";
    private const int Steps = 8;
    private TempDirectory _temp = null!;
    private string _model = null!;
    private DumpResult _dump = null!;
    private LogitsResult _plain = null!;

    [OneTimeSetUp]
    public async Task SetUp()
    {
        _temp = new TempDirectory();
        _model = Models.Synthetic(SyntheticPresets.TinyLlamaMini);
        _dump = await Models.Runner.DumpAsync(new DumpRequest { ModelPath = _model, Prompt = Prompt, Steps = Steps, OutputDirectory = _temp.File("run") });
        _plain = await Models.Runner.LogitsAsync(_model, _dump.Tokens, Steps, _temp.File("logits.f32"));
    }

    [OneTimeTearDown]
    public void TearDown() => _temp.Dispose();

    [Test]
    public async Task The_manifest_token_ids_are_llama_cpps_tokenization_of_the_prompt()
    {
        var tokens = await Models.Runner.TokenizeAsync(_model, Prompt);
        var run = DumpRun.Open(_dump.RunDirectory);
        Assert.That(run.Manifest.Prompt.Tokens, Is.EqualTo(tokens));
        Assert.That(run.Manifest.Prompt.Text, Is.EqualTo(Prompt));
        Assert.That(run.Manifest.Producer.Version, Does.StartWith("815a2a5"));
    }

    [Test]
    public void Parity_dump_on_the_command_line_records_the_ids_parity_tokenize_prints()
    {
        var dir = _temp.File("cli-run");
        var (code, _, stderr) = ParityCli.Run("dump", "--side", "llama.cpp", "--preset", "tinyllama-mini", "--prompt", Prompt, "--out", dir);
        Assert.That(code, Is.Zero, stderr);
        var (tokCode, tokens, _) = ParityCli.Run("tokenize", "--side", "llama.cpp", "--model", _model, Prompt);
        Assert.That(tokCode, Is.Zero);
        var run = DumpRun.Open(dir);
        Assert.That(string.Join(' ', run.Manifest.Prompt.Tokens), Is.EqualTo(tokens.Trim()));
        var (engineCode, engineTokens, _) = ParityCli.Run("tokenize", "--side", "engine", "--model", _model, Prompt);
        Assert.That(engineCode, Is.Zero);
        Assert.That(engineTokens, Is.EqualTo(tokens), "both sides print the same format and, here, the same ids");
    }

    [Test]
    public void Every_layer_has_every_named_tensor_and_the_output_has_one_row_per_token()
    {
        using var step = DumpRun.Open(_dump.RunDirectory).OpenStep(0);
        var n = _dump.Tokens.Count;
        string[] perLayer = ["attn_norm", "Kcur", "Vcur", "kq", "kq_soft_max", "kqv_out", "attn_out", "ffn_inp", "ffn_norm", "ffn_gate", "ffn_up", "ffn_swiglu", "ffn_out", "l_out"];
        for (var il = 0; il < SyntheticPresets.TinyLlamaMini.NLayer; il++)
        {
            foreach (var stem in perLayer)
            {
                Assert.That(step.TryGet($"{stem}-{il}", out _), Is.True, $"{stem}-{il}");
            }

            Assert.That(step.GetOccurrences($"Qcur-{il}").Select(e => e.Op), Is.EqualTo(new[] { "MUL_MAT", "RESHAPE", "ROPE" }), $"Qcur-{il}");
        }

        Assert.That(step.Get("result_norm").Ne, Is.EqualTo(new long[] { 1024, n, 1, 1 }));
        Assert.That(step.Get("result_output").Ne, Is.EqualTo(new long[] { 2048, n, 1, 1 }));
    }

    [Test]
    public void Result_output_equals_llama_cpps_logits_bit_for_bit_so_dumping_changes_nothing()
    {
        var run = DumpRun.Open(_dump.RunDirectory);
        var n = _dump.Tokens.Count;
        using (var step = run.OpenStep(0))
        {
            var output = step.GetFloats(step.Get("result_output"));
            for (var t = 0; t < n; t++)
            {
                Assert.That(output.Slice(t * 2048, 2048).ToArray(), Is.EqualTo(_plain.Rows[t]), $"prompt row {t}");
            }
        }

        for (var s = 1; s <= Steps; s++)
        {
            using var step = run.OpenStep(s);
            Assert.That(step.GetFloats(step.Get("result_output")).ToArray(), Is.EqualTo(_plain.Rows[n - 1 + s]), $"step {s}");
        }
    }

    [Test]
    public void Eight_steps_write_nine_dumps_and_the_generated_tokens()
    {
        var run = DumpRun.Open(_dump.RunDirectory);
        Assert.That(run.StepCount, Is.EqualTo(Steps + 1));
        Assert.That(run.GeneratedTokens.Take(Steps), Is.EqualTo(_plain.Generated), "greedy tokens fed to steps 1..8");
        Assert.That(run.GeneratedTokens, Has.Count.EqualTo(Steps + 1), "and the token step 8 predicts");
        for (var s = 1; s <= Steps; s++)
        {
            using var step = run.OpenStep(s);
            Assert.That(step.Manifest.Tokens, Is.EqualTo(new[] { _plain.Generated[s - 1] }));
            Assert.That(step.Manifest.Positions, Is.EqualTo(new[] { _dump.Tokens.Count + s - 1 }));
        }
    }

    [Test]
    public void An_independent_safetensors_parser_reads_the_dump_with_ggml_shapes_reversed()
    {
        var n = _dump.Tokens.Count;
        var st = new MinimalSafetensors(Path.Combine(_dump.RunDirectory, "step-0000", "tensors.safetensors"));
        Assert.That(st.Tensors["result_output"].Shape, Is.EqualTo(new long[] { n, 2048 }));
        Assert.That(st.Tensors["Qcur-0#2"].Shape, Is.EqualTo(new long[] { n, 16, 64 }), "ROPE output, ggml ne [64, 16, n]");
        Assert.That(st.Tensors["kq-0"].Shape, Is.EqualTo(new long[] { 16, n, 256 }), "n_kv padded to 256 cells");
        Assert.That(st.Tensors["cache_k_l0 (view)"].DType, Is.EqualTo("F16"));

        // embd is a plain row copy of token_embd: exact.
        var embd = st.F32("embd");
        using var gguf = GgufFile.Open(_model);
        var table = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(gguf.GetTensorBytes(gguf.GetTensor("token_embd.weight")));
        for (var t = 0; t < n; t++)
        {
            Assert.That(embd.AsSpan(t * 1024, 1024).ToArray(), Is.EqualTo(table.Slice(_dump.Tokens[t] * 1024, 1024).ToArray()), $"token {t}");
        }
    }
}
