using System.Buffers.Binary;
using Parity.Dump;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Gguf;
using Parity.Harness.Bisect;
using Parity.Harness.Engine;
using Parity.Harness.Compare;
using Parity.Harness.Graph;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Bisect;

/// <summary>
/// The mutation suite: classic porting bugs planted from here, in a test-defined llama unit (<see cref="PlantedBug"/>)
/// or a type table with one kernel row replaced, both the product's own extension points, never a fault switch. For
/// each, bisect must name the first tensor and the op, and call it local; the clean engine must come out clean. One
/// llama.cpp dump per model serves every mutation.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MutationSuiteTests
{
    private TempDirectory _temp = null!;
    private string _f32Model = null!;
    private DumpRun _f32Reference = null!;
    private string _q4kModel = null!;
    private DumpRun _q4kReference = null!;
    private DumpRun _flashReference = null!;

    [OneTimeSetUp]
    public async Task MakeReferences()
    {
        _temp = new TempDirectory();
        _f32Model = Models.Synthetic(SyntheticPresets.Micro);
        _q4kModel = await Models.Quantized(SyntheticPresets.Micro, "Q4_K_M");
        _f32Reference = await Reference(_f32Model, "f32", "ref-f32");
        _q4kReference = await Reference(_q4kModel, "f16", "ref-q4k");
        _flashReference = await Reference(_q4kModel, "f16", "ref-flash", flashAttention: true);
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp.Dispose();

    [Test]
    public void The_clean_engine_is_classified_clean()
    {
        var report = Bisect(_f32Model, _f32Reference, "clean-f32");
        Assert.That(report.Verdict, Is.EqualTo(BisectVerdict.Clean), report.Summary);
        Assert.That(report.FirstLocal, Is.Null);
        Assert.That(Bisect(_q4kModel, _q4kReference, "clean-q4k").Verdict, Is.EqualTo(BisectVerdict.Clean));
    }

    [TestCase("RopeNeoxPairing", 0, "Qcur-0#2", "ROPE", "tokens: only position 1..")]
    [TestCase("RopeWrongFreqBase", 0, "Qcur-0#2", "ROPE", "tokens: only position 1..")]
    [TestCase("RmsEpsTenTimes", 0, "norm-0", "RMS_NORM", "channels: all")]
    [TestCase("GqaModuloMapping", 0, "kq-0", "MUL_MAT", "heads: only 1..2")]
    [TestCase("GateUpSwapped", 0, "ffn_gate-0", "MUL_MAT", "tokens: all")]
    [TestCase("SoftmaxScaleMissing", 0, "kq_soft_max-0", "SOFT_MAX", "heads: all")]
    [TestCase("DecodePositionOffByOne", 1, "Qcur-0#2", "ROPE", "channels")]
    [TestCase("LmHeadWrongMatrix", 0, "result_output", "MUL_MAT", "tokens: all")]
    [TestCase("CausalMaskOffByOne", 0, "kq_soft_max-0", "SOFT_MAX", "tokens: only position 0..")]
    public void Bisect_names_the_planted_bug_as_local(string faultName, int step, string key, string op, string where)
    {
        var report = Bisect(_f32Model, _f32Reference, faultName, PlantedBug.Fault(faultName));
        AssertLocal(report, step, key, op, where);
        if (faultName == "DecodePositionOffByOne")
        {
            Assert.That(report.Cumulative.Steps[0].Passed, Is.True, "the prompt step holds: a decode-only bug");
        }
    }

    [Test]
    public void The_clean_engine_is_classified_clean_with_flash_attention()
    {
        var report = Bisect(_q4kModel, _flashReference, "clean-flash");
        Assert.That(report.Verdict, Is.EqualTo(BisectVerdict.Clean), report.Summary);
    }

    // With flash attention kq, the softmax and kqv are one node, compared as kqv_out (a reshape of it): bugs in the
    // scores, the mask, the GQA mapping or the online softmax are local there; the ops around attention are unchanged.
    [TestCase("FlashMaxNotRescaled", 0, "kqv_out-0", "RESHAPE", "tokens: only position 1..position 19")]
    [TestCase("GqaModuloMapping", 0, "kqv_out-0", "RESHAPE", "channels: only 64..191")]
    [TestCase("CausalMaskOffByOne", 0, "kqv_out-0", "RESHAPE", "tokens: only position 0..position 18")]
    [TestCase("RopeNeoxPairing", 0, "Qcur-0#2", "ROPE", "tokens: only position 1..")]
    [TestCase("GateUpSwapped", 0, "ffn_gate-0", "MUL_MAT", "tokens: all")]
    public void Bisect_names_the_planted_bug_as_local_with_flash_attention(string faultName, int step, string key, string op, string where)
    {
        var report = Bisect(_q4kModel, _flashReference, faultName + "-flash", PlantedBug.Fault(faultName));
        AssertLocal(report, step, key, op, where);
    }

    [Test]
    public void A_wrong_scale_nibble_in_Q4_K_dequantization_is_local_to_the_first_Q4_K_matmul()
    {
        // Q4_K products dequantize with the slip (the row's integer dot and tile replaced); GET_ROWS keeps ggml's to_float.
        var types = GgmlTypeTable.Default.With(GgmlType.Q4_K, row => row with { VecDot = WrongScaleNibbleQ4KDot, Tile = null });
        var report = Bisect(_q4kModel, _q4kReference, "q4k-nibble", types: types);

        using var file = GgufFile.Open(_q4kModel);
        var firstQ4K = new[] { ("attn_q", "Qcur-0"), ("attn_v", "Vcur-0"), ("attn_k", "Kcur-0") }
            .First(p => file.Tensors.Single(t => t.Name == $"blk.0.{p.Item1}.weight").Type == GgmlType.Q4_K).Item2;
        AssertLocal(report, 0, firstQ4K, "MUL_MAT", "tokens: all");
    }

    [Test]
    public async Task Error_injected_into_layer_2_output_is_local_at_layer_2_and_propagated_after()
    {
        var model = Models.Synthetic(SyntheticPresets.TinyLlamaMini);
        var reference = await Reference(model, "f32", "ref-mini", "Once upon a time", steps: 0);
        var report = Bisect(model, reference, "layer2", PlantedBug.Rewriting((name, _, data, _) =>
        {
            if (name == "l_out-2")
            {
                data[7] += 0.5f;
            }
        }));

        AssertLocal(report, 0, "l_out-2", "ADD", "channels: only 7");
        Assert.That(report.Layers[2].LayerLocal, Is.GreaterThan(report.LocalBound), "layer 2 is wrong on llama.cpp's input");
        Assert.That(report.Layers[3].LayerLocal, Is.LessThan(report.LocalBound), "layer 3 is exact on llama.cpp's input ...");
        Assert.That(report.Layers[3].Cumulative, Is.GreaterThan(1e-8), "... but carries the error it inherited: propagated");
        Assert.That(report.Layers[1].Cumulative, Is.LessThan(1e-10));
    }

    // Each family's own slip, planted on its unit at micro's width (two layers, n_embd 256, n_ff 512):
    // qwen2 - the key bias zeroed where the weights load, as a port that never applies it;
    // qwen3 - the Q norm never applied, so the port's dump has no Qcur_normed and its norm-0#1 is the K norm;
    // phi3 - K read from the fused projection one head late, so its last head is V's first;
    // gemma2 - the final tanh soft-cap skipped: result_norm agrees, result_output (llama.cpp's last SCALE) differs everywhere;
    // gemma3 - the window masks cells with p - p0 > window instead of >= window, so the prompt tokens past layer 0's
    // 8-cell window (positions 8 to 10) still see cell 0, on llama.cpp's identical kq.
    [TestCase("qwen2-mini", 4, 2, "Qwen2KeyBiasDropped", "Kcur-0#1", "ADD", "tokens: all")]
    [TestCase("qwen3-mini", 4, 2, "Qwen3QueryNormSkipped", "norm-0#1", "RMS_NORM", "tokens: all")]
    [TestCase("phi3-mini", 4, 4, "Phi3QkvSplitOneHeadLate", "Kcur-0", "VIEW", "heads: all")]
    [TestCase("gemma2-mini", 2, 1, "Gemma2FinalSoftcapMissing", "result_output", "SCALE", "tokens: all")]
    [TestCase("gemma3-mini", 2, 1, "Gemma3WindowOffByOne", "kq_soft_max-0", "SOFT_MAX", "tokens: only position 8..position 10")]
    public async Task A_family_specific_slip_is_local_to_its_op(string presetName, int heads, int kvHeads, string fault, string key, string op, string where)
    {
        var shape = SyntheticPresets.Get(presetName);
        var preset = shape with { Name = shape.Architecture + "-micro", NEmbd = 256, NFf = 512, NLayer = 2, NHead = heads, NHeadKv = kvHeads };
        var model = Models.Synthetic(preset);
        var reference = await Reference(model, "f32", "ref-" + preset.Name);
        var report = Bisect(model, reference, fault, PlantedBug.Fault(fault));
        AssertLocal(report, 0, key, op, where, preset.Architecture);
    }

    [Test]
    public async Task A_top_k_that_breaks_expert_ties_the_other_way_is_local_to_the_ranking_and_names_the_token_and_experts()
    {
        // qwen3moe-mini's near-twin router rows tie exactly on some tokens; ggml's argsort keeps the lower expert first there.
        var model = Models.Synthetic(SyntheticPresets.Qwen3MoeMini);
        var reference = await Reference(model, "f32", "ref-moe", steps: 4);
        var report = Bisect(model, reference, "moe-ties", PlantedBug.Fault("MoeTiesToTheLaterExpert"));
        Assert.That(report.Verdict, Is.EqualTo(BisectVerdict.Local), report.Summary);
        var (_, first) = report.FirstLocal!.Value;
        Assert.That(first.Op, Is.EqualTo("ARGSORT"), report.Summary);
        Assert.That(first.Note, Does.Match(@"token \d+ \(position \d+\) (ranks|chose) experts \[[\d, ]+\] vs \[[\d, ]+\], router margin 0\b"), first.Note);
        Assert.That(report.Summary, Does.StartWith($"local: {GraphDescriptors.For("qwen3moe").DescribeOp("ARGSORT")} on {first.Key}"));
    }

    private static void AssertLocal(BisectReport report, int step, string key, string op, string where, string architecture = "llama")
    {
        Assert.That(report.Verdict, Is.EqualTo(BisectVerdict.Local), report.Summary);
        Assert.That(report.FirstLocal, Is.Not.Null);
        var (s, t) = report.FirstLocal!.Value;
        Assert.That((s.Step, t.Key, t.Op), Is.EqualTo((step, key, op)), report.Summary);
        Assert.That(report.Summary, Does.StartWith($"local: {GraphDescriptors.For(architecture).DescribeOp(op)} on {key}").And.Contain("inputs"));
        Assert.That(report.Pinpoint, Does.Contain(where), report.Pinpoint);
        Assert.That(report.FirstCumulative, Is.Not.Null, "the bug also breaks the free-running tolerance");
    }

    private BisectReport Bisect(string model, DumpRun reference, string name, PlantedBug? bug = null, GgmlTypeTable? types = null)
    {
        var work = Path.Combine(_temp.Path, name);
        var request = new DumpRequest
        {
            ModelPath = model,
            OutputDirectory = work,
            Tokens = reference.Manifest.Prompt.Tokens,
            Decode = new LlamaCppDecodeOptions { CacheTypeK = reference.Manifest.Options.TypeK, CacheTypeV = reference.Manifest.Options.TypeV, FlashAttention = reference.Manifest.Options.FlashAttention },
        };
        var engine = new BuiltInEngine(NumericsMode.Ggml, bug?.Registry, types);
        return new Bisector(TolerancePolicy.Load(TolerancePolicy.DefaultPath)).RunAsync(engine, request, reference, work).GetAwaiter().GetResult();
    }

    private async Task<DumpRun> Reference(string model, string kv, string name, string prompt = "Once upon a time there was a dog", int steps = 2, bool flashAttention = false)
    {
        var ids = await Models.Runner.TokenizeAsync(model, prompt);
        var result = await Models.Runner.DumpAsync(new DumpRequest
        {
            ModelPath = model,
            OutputDirectory = Path.Combine(_temp.Path, name),
            Tokens = ids,
            Steps = steps,
            Decode = new LlamaCppDecodeOptions { CacheTypeK = kv, CacheTypeV = kv, FlashAttention = flashAttention },
        });
        return DumpRun.Open(result.RunDirectory);
    }

    /// <summary>
    /// A Q4_K vec_dot whose dequantization has one classic slip (sub-blocks 4..7 take their scale from the min's
    /// nibble): each row widened with the slip, then dotted in float with the Q8_K activations widened.
    /// </summary>
    private static void WrongScaleNibbleQ4KDot(ReadOnlySpan<byte> rows, int rowBytes, ActivationRow y, Span<float> results)
    {
        var cols = rowBytes / 144 * 256;
        var w = new float[cols];
        for (var r = 0; r < results.Length; r++)
        {
            WrongScaleNibbleQ4K(rows.Slice(r * rowBytes, rowBytes), w);
            var sum = 0f;
            for (var i = 0; i < cols; i++)
            {
                sum += w[i] * (y.Quants[i] * y.Scales[i / 256]);
            }

            results[r] = sum;
        }
    }

    private static void WrongScaleNibbleQ4K(ReadOnlySpan<byte> row, Span<float> destination)
    {
        for (var b = 0; b < row.Length / 144; b++)
        {
            var block = row.Slice(b * 144, 144);
            var d = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(block));
            var dmin = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(block[2..]));
            var q = block.Slice(4, 12);
            var qs = block[16..];
            for (var j = 0; j < 8; j++)
            {
                var (sc, m) = j < 4
                    ? (q[j] & 63, q[j + 4] & 63)
                    : ((q[j + 4] >> 4) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)); // scale: the wrong nibble
                for (var l = 0; l < 32; l++)
                {
                    var nibble = j % 2 == 0 ? qs[(32 * (j / 2)) + l] & 0xF : qs[(32 * (j / 2)) + l] >> 4;
                    destination[(b * 256) + (32 * j) + l] = (d * sc * nibble) - (dmin * m);
                }
            }
        }
    }
}
