using System.Globalization;
using System.Text.RegularExpressions;
using Parity.Dump;
using Parity.Harness.Compare;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.TestEngine;

/// <summary>
/// The test engine, run directly through the protocol, against llama.cpp on the same tokens (teacher tokens from
/// llama.cpp's dump) and configuration (its options, with an F16 or an F32 KV cache), aligned by its one-rule-per-kind name map and judged by the existing f32 rules: parity holds with
/// every compared tensor paired; a planted RoPE-pairing bug is named at layer 0's roped Q under llama.cpp's name; and
/// teacher forcing from llama.cpp's dump (renamed to the engine's names) leaves only the bugged op off.
/// </summary>
[TestFixture("micro", "1,17,42,99", "f16")]
[TestFixture("micro", "1,17,42,99", "f32")]
[TestFixture("stories260K", "1,403,407,261,378", "f16")]
[TestFixture("stories260K", "1,403,407,261,378", "f32")]
[NonParallelizable]
public sealed class TestEngineParityTests(string model, string prompt, string kvCache)
{
    private const int Steps = 3;

    // Bisector's default local bound: an op fed llama.cpp's exact inputs is locally off above it.
    private const double LocalBound = 1e-6;

    private TempDirectory _temp = null!;
    private string _model = null!;
    private string _reference = null!;
    private int[] _tokens = null!;
    private int[] _teacher = null!;
    private NameMap _map = null!;
    private TolerancePolicy _policy = null!;
    private string? _names;
    private DumpOptions _options = null!;
    private string? _forceFrom;

    [OneTimeSetUp]
    public void DumpLlamaCpp()
    {
        _model = model == "micro" ? Models.Synthetic(SyntheticPresets.Micro) : SharedFixtures.Require("models/stories260K.gguf");
        _temp = new TempDirectory();
        _tokens = [.. prompt.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
        _reference = _temp.File("llama.cpp");

        // Flash attention off, said explicitly: the engine refuses it, and llama.cpp's default resolves it to on.
        var (code, stdout, stderr) = ParityCli.Run(
            "dump", "--side", "llama.cpp", "--model", _model, "--tokens", prompt, "--steps", Steps.ToString(CultureInfo.InvariantCulture),
            "--flash-attn", "off", "--cache-type-k", kvCache, "--cache-type-v", kvCache, "--out", _reference);
        Assert.That(code, Is.Zero, stdout + stderr);
        var reference = DumpRun.Open(_reference);
        _teacher = [.. reference.GeneratedTokens.Take(Steps)];
        _options = reference.Manifest.Options;
        _map = NameMap.Load(TestEngineProcess.NameMap);
        _policy = TolerancePolicy.Load(TolerancePolicy.DefaultPath);
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp?.Dispose();

    [Test]
    public void Its_dump_holds_parity_with_llama_cpp_through_the_name_map_under_the_f32_rules()
    {
        var engine = EngineDump("clean", ropePairingBug: false);

        var diff = new DumpDiffer(_policy, names: _map).Diff(engine, _reference);

        var tensors = diff.Steps.SelectMany(s => s.Tensors).ToList();
        Assert.That(tensors.Where(t => t.Status is TensorStatus.OnlyInA or TensorStatus.OnlyInB).Select(t => t.Key), Is.Empty, "every tensor pairs");
        Assert.That(diff.Regime, Does.Contain($"f32-weights-{kvCache}-cache"));
        Assert.That(diff.Passed, Is.True, () => $"first failure: {diff.FirstFailure?.Tensor.Key} {diff.FirstFailure?.Tensor.Note}");
        Assert.That(diff.Steps, Has.Count.EqualTo(Steps + 1));
        Assert.That(diff.Steps.All(s => s.Logits.Count == s.Tokens.Count), Is.True, "the logits table pairs lm_head with result_output at every position");
        var worst = tensors.Where(t => t.Metrics is not null).MaxBy(t => t.Metrics!.Nmse)!;
        TestContext.Out.WriteLine($"{model}, {kvCache} cache: {tensors.Count(t => t.Status == TensorStatus.Passed)} pairs passed; worst NMSE {worst.Metrics!.Nmse:G3} ({worst.Key})");
    }

    [Test]
    public void Every_name_it_writes_is_one_its_capabilities_announce_and_the_map_pairs()
    {
        var engine = Names;
        Assert.That(DumpRun.Open(engine).Manifest.Options, Is.EqualTo(_options), "the request's options, recorded as they are");
        var patterns = new[] { @"model\.embed_tokens", @"model\.layers\.\d+", @"model\.layers\.\d+\..+", @"model\.norm(\.rms_norm)?", "lm_head" }.Select(p => new Regex($"^(?:{p})$"));

        using var step = DumpRun.Open(engine).OpenStep(0);
        var unmatched = step.Tensors.Where(e => !patterns.Any(p => p.IsMatch(e.Name))).Select(e => e.Name);
        var unmapped = step.Tensors.Where(e => _map.KeyFor(e) == e.Key).Select(e => e.Key);

        Assert.That(unmatched, Is.Empty);
        Assert.That(unmapped, Is.Empty, "every tensor has a rule");
    }

    [Test]
    public void With_the_rope_pairing_bug_the_first_failure_is_layer_0_roped_Q_under_llama_cpp_name()
    {
        var engine = EngineDump("bugged", ropePairingBug: true);

        var diff = new DumpDiffer(_policy, names: _map).Diff(engine, _reference);

        Assert.That(diff.Passed, Is.False);
        var (step, tensor) = diff.FirstFailure!.Value;
        Assert.That((step.Step, tensor.Key, tensor.Op), Is.EqualTo((0, "Qcur-0#2", "ROPE")));
        Assert.That(tensor.Note, Does.Contain("NEOX"), "the layout check recognises the pairing");
    }

    [Test]
    public void Op_forced_from_llama_cpp_the_bugged_engine_is_off_at_RoPE_only()
    {
        var forced = ForcedDump("bugged-forced", ropePairingBug: true);

        var local = new DumpDiffer(_policy, names: _map).Diff(forced, _reference);

        var compared = local.Steps.SelectMany(s => s.Tensors).Where(t => t.Metrics is not null).ToList();
        var off = compared.Where(t => t.Metrics!.Nmse > LocalBound).Select(t => t.Key).Distinct().ToList();
        Assert.That(off, Is.Not.Empty);
        Assert.That(off.Select(k => Regex.IsMatch(k, @"^[QK]cur-\d+#2$")), Is.All.True, $"only the roped Q and K are off on llama.cpp's inputs; off: {string.Join(", ", off)}");
        Assert.That(off, Does.Contain("Qcur-0#2").And.Contain("Kcur-0#2"));
        Assert.That(compared, Has.Count.EqualTo(local.Steps.Sum(s => s.Tensors.Count(t => t.Status != TensorStatus.NotCompared))), "every pair compared");
    }

    [Test]
    public void Op_forced_from_llama_cpp_the_clean_engine_has_every_op_within_the_local_bound()
    {
        var forced = ForcedDump("clean-forced", ropePairingBug: false);

        var local = new DumpDiffer(_policy, names: _map).Diff(forced, _reference);

        var worst = local.Steps.SelectMany(s => s.Tensors).Where(t => t.Metrics is not null).MaxBy(t => t.Metrics!.Nmse)!;
        Assert.That(worst.Metrics!.Nmse, Is.LessThanOrEqualTo(LocalBound), worst.Key);
        TestContext.Out.WriteLine($"{model}, {kvCache} cache: worst local NMSE {worst.Metrics.Nmse:G3} ({worst.Key})");
    }

    [Test]
    public void Forcing_only_the_roped_Q_and_K_leaves_them_off_and_repairs_every_tensor_after_them()
    {
        var layers = DumpRun.Open(_reference).Manifest.Model.Hyperparameters!.NLayer;
        string[] force = [.. Enumerable.Range(0, layers).SelectMany(l => new[] { $"model.layers.{l}.self_attn.rotary_q", $"model.layers.{l}.self_attn.rotary_k" })];
        var forced = ForcedDump("bugged-rope-forced", ropePairingBug: true, force);

        var diff = new DumpDiffer(_policy, names: _map).Diff(forced, _reference);

        var failures = diff.Steps.SelectMany(s => s.Tensors).Where(t => t.IsFailure).Select(t => t.Key).Distinct().ToList();
        Assert.That(failures, Has.Count.EqualTo(2 * layers), string.Join(", ", failures));
        Assert.That(failures.Select(k => Regex.IsMatch(k, @"^[QK]cur-\d+#2$")), Is.All.True, "each roped Q and K is recorded before it is forced, the rest runs on llama.cpp's");
    }

    [Test]
    public void A_forcing_dump_of_other_tokens_is_bad_input_and_leaves_no_dump()
    {
        var output = _temp.File("other-tokens");
        int[] other = [.. _teacher.Select(t => (t + 1) % 256)];

        var (code, stderr, _) = TestEngineProcess.Run(_temp, TestEngineProcess.Dump(_model, _tokens, Steps, other, output, ForceFrom, options: _options));

        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain($"forceFrom {ForceFrom}: step 1 ran tokens [{_teacher[0]}], this step runs [{other[0]}]"));
        Assert.That(Directory.Exists(output), Is.False);
        Assert.That(Directory.GetDirectories(_temp.Path, "other-tokens*"), Is.Empty, "the writer's temporary directory is gone too");
    }

    /// <summary>A clean run whose tensor names stand for llama.cpp's keys through the map.</summary>
    private string Names => _names ??= EngineDump("names", ropePairingBug: false);

    private string EngineDump(string name, bool ropePairingBug, string? forceFrom = null, IReadOnlyList<string>? force = null)
    {
        var output = _temp.File(name);
        var (code, stderr, elapsed) = TestEngineProcess.Run(_temp, TestEngineProcess.Dump(_model, _tokens, Steps, _teacher, output, forceFrom, force, _options), TestEngineProcess.Command(ropePairingBug));
        Assert.That(code, Is.Zero, stderr);
        TestContext.Out.WriteLine($"{model}, {kvCache} cache: test engine dump '{name}' ({Steps + 1} steps) took {elapsed.TotalSeconds:F2} s");
        return output;
    }

    /// <summary>An op-forced run: every tensor replaced by llama.cpp's after the engine records its own.</summary>
    private string ForcedDump(string name, bool ropePairingBug, IReadOnlyList<string>? force = null) =>
        EngineDump(name, ropePairingBug, ForceFrom, force);

    /// <summary>llama.cpp's dump under the engine's names.</summary>
    private string ForceFrom => _forceFrom ??= ForcingDump.Write(_reference, Names, _map, _temp.File("force-from"));
}
