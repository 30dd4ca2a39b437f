using Parity.Dump;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// What the fuzzer found in <c>parity diff</c>: a NaN on the reference side once counted as agreement, and two dumps of
/// different models, tokens, steps or attention configurations were compared without a word. Each case edits a real
/// pair of dumps (llama.cpp and the engine on micro) and checks the exit code and the line that names the finding.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NonFiniteAndIdentityTests
{
    private TempDirectory _temp = null!;
    private string _engine = null!;
    private string _reference = null!;

    [OneTimeSetUp]
    public void MakeDumps()
    {
        _temp = new TempDirectory();
        (_, _reference, _engine) = MicroDumps.Make(_temp, steps: 2);
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp.Dispose();

    [Test]
    public void The_pair_as_dumped_holds_bit_for_bit()
    {
        var (code, stdout, stderr) = ParityCli.Run("diff", _engine, _reference, "--out", _temp.File("r-clean"));
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("bit-identical"));
    }

    [Test]
    public void One_NaN_in_llama_cpps_l_out_2_is_a_failure_naming_the_tensor_and_the_count()
    {
        var edited = Edit("nan-one", (step, e, v) => step == 0 && e.Key == "l_out-1" ? Set(v, 5, float.NaN) : null);
        var (code, stdout, _) = ParityCli.Run("diff", _engine, edited, "--out", _temp.File("r-nan-one"));
        Assert.That(code, Is.EqualTo(1), stdout);
        Assert.That(stdout, Does.Contain("first non-finite tensor: step 0 l_out-1 (ADD)").And.Contain("B 1 NaN 0 Inf").And.Contain("one side only"));
        Assert.That(stdout, Does.Contain("PARITY BROKEN"));
    }

    [Test]
    public void All_of_llama_cpps_logits_NaN_break_parity_and_the_logits_table_says_so()
    {
        var edited = Edit("nan-logits", (step, e, v) => e.Key == "result_output" ? Enumerable.Repeat(float.NaN, v.Length).ToArray() : null);
        var (code, stdout, _) = ParityCli.Run("diff", _engine, edited, "--out", _temp.File("r-nan-logits"));
        Assert.That(code, Is.EqualTo(1), stdout);
        Assert.That(stdout, Does.Contain("first non-finite tensor: step 0 result_output"));
        Assert.That(stdout, Does.Contain("the logits are not finite"));
    }

    [Test]
    public void NaN_at_the_same_places_on_both_sides_is_reported_as_both_non_finite_and_fails()
    {
        var a = Edit("nan-both-a", (step, e, v) => step == 1 && e.Key == "ffn_out-0" ? Set(v, 3, float.NaN) : null, _engine);
        var b = Edit("nan-both-b", (step, e, v) => step == 1 && e.Key == "ffn_out-0" ? Set(v, 3, float.NaN) : null);
        var (code, stdout, _) = ParityCli.Run("diff", a, b, "--out", _temp.File("r-nan-both"));
        Assert.That(code, Is.EqualTo(1), stdout);
        Assert.That(stdout, Does.Contain("first non-finite tensor: step 1 ffn_out-0").And.Contain("both non-finite at the same 1 place(s)"));
    }

    [Test]
    public void Dumps_of_different_model_bytes_are_refused_naming_both_sha256_values_unless_allowed()
    {
        var other = new string('0', 64);
        var edited = Edit("other-model", (_, _, _) => null, editRun: i => i with { Model = i.Model with { Sha256 = other } });
        var (code, _, stderr) = ParityCli.Run("diff", _engine, edited, "--out", _temp.File("r-model"));
        Assert.That(code, Is.EqualTo(2), stderr);
        var sha = DumpRun.Open(_engine).Manifest.Model.Sha256;
        Assert.That(stderr, Does.Contain(sha).And.Contain(other).And.Contain("--allow-different-model"));

        var (allowed, stdout, _) = ParityCli.Run("diff", _engine, edited, "--out", _temp.File("r-model2"), "--allow-different-model");
        Assert.That(allowed, Is.Zero, stdout);
        Assert.That(stdout, Does.Contain("allowed: the model bytes (sha256) differ"));
    }

    [Test]
    public void Dumps_with_another_attention_configuration_are_refused_naming_both()
    {
        var edited = Edit("flash", (_, _, _) => null, editRun: i => i with { Options = i.Options with { FlashAttention = !i.Options.FlashAttention } });
        var (code, _, stderr) = ParityCli.Run("diff", _engine, edited, "--out", _temp.File("r-flash"));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("flash attention off").And.Contain("flash attention on"));
    }

    [Test]
    public void Dumps_with_and_without_repacked_weights_are_refused_naming_both()
    {
        var edited = Edit("plain", (_, _, _) => null, editRun: i => i with { Options = i.Options with { Repack = !i.Options.Repack } });
        var (code, _, stderr) = ParityCli.Run("diff", _engine, edited, "--out", _temp.File("r-repack"));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("repack on").And.Contain("repack off").And.Contain("--no-repack"));
    }

    [Test]
    public void Dumps_with_different_step_counts_are_refused_naming_both_counts()
    {
        var (ec, _, ee) = ParityCli.Run("dump", "--side", "engine", "--model", Models.Synthetic(SyntheticPresets.Micro), "--tokens", "1,17,42,99", "--steps", "1", "--out", _temp.File("engine-1step"));
        Assert.That(ec, Is.Zero, ee);
        var (code, _, stderr) = ParityCli.Run("diff", _temp.File("engine-1step"), _reference, "--out", _temp.File("r-steps"));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("the step counts differ: A 2").And.Contain("B 3"));
    }

    [Test]
    public void A_step_manifest_that_contradicts_its_run_json_is_bad_input_naming_both_files()
    {
        var edited = Edit("contradiction", (_, _, _) => null, editRun: i => i with { Prompt = i.Prompt with { Tokens = [1, 2, 3, 4] } });
        var (code, _, stderr) = ParityCli.Run("diff", edited, edited, "--out", _temp.File("r-contradiction"));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("step-0000").And.Contain("run.json").And.Contain("[1 2 3 4]"));
    }

    [Test]
    public void The_same_name_from_another_op_is_a_failure_naming_both_ops()
    {
        // A candidate that computes ffn_swiglu with a plain GLU: its manifest says so, whatever the values.
        var candidate = _temp.File("engine-glu");
        CopyDirectory(_engine, candidate);
        var manifest = Path.Combine(candidate, "step-0000", "manifest.json");
        var text = File.ReadAllText(manifest);
        Assert.That(text, Does.Contain("\"op\": \"SWIGLU\""));
        File.WriteAllText(manifest, text.Replace("\"op\": \"SWIGLU\"", "\"op\": \"GLU\"", StringComparison.Ordinal));
        var (code, stdout, _) = ParityCli.Run("diff", candidate, _reference, "--out", _temp.File("r-op"));
        Assert.That(code, Is.EqualTo(1), stdout);
        Assert.That(stdout, Does.Contain("step 0 ffn_swiglu-0 (SWIGLU), OpMismatch").And.Contain("op differs: A GLU, B SWIGLU"));
    }

    [Test]
    public void A_model_without_a_file_type_is_judged_by_what_its_weights_are()
    {
        // stories260K has no general.file_type; its weights are all F32, and the F32 rule judges it, not the catch-all.
        var model = GgufEdits.Micro(_temp.File("no-file-type.gguf"), key: k => k == "general.file_type" ? "parity.test.no_file_type" : k);
        string[] common = ["--model", model, "--tokens", "1,17,42,99"];
        Assert.That(ParityCli.Run(["dump", "--side", "llama.cpp", .. common, "--out", _temp.File("nft-ref")]).Code, Is.Zero);
        Assert.That(ParityCli.Run(["dump", "--side", "engine", "--numerics", "f32", .. common, "--out", _temp.File("nft-engine")]).Code, Is.Zero);
        var (code, stdout, stderr) = ParityCli.Run("diff", _temp.File("nft-engine"), _temp.File("nft-ref"), "--out", _temp.File("r-nft"));
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("weights F32").And.Contain("judged by: tolerance, rule f32-weights-f16-cache"));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private string Edit(string name, Func<int, DumpTensorEntry, float[], float[]?> edit, string? source = null, Func<DumpRunInfo, DumpRunInfo>? editRun = null) =>
        DumpEditor.Rewrite(source ?? _reference, _temp.File(name), (step, e, values, _) => edit(step, e, values), editRun);

    private static float[] Set(float[] values, int index, float value)
    {
        values[index] = value;
        return values;
    }
}
