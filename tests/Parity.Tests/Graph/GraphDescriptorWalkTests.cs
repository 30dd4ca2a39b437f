using Parity.Dump;
using Parity.Harness.Engine;
using Parity.Harness.Graph;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Graph;

/// <summary>
/// Every entry of an architecture's descriptor against real dumps of its mini preset (a prompt step and a decode step):
/// the compared tensors are exactly the descriptor's nodes in graph order on both sides, each with the op and the rank
/// the descriptor says, every op input is computed upstream, and every tensor neither side compares is ignored for a
/// reason. The last two arguments are what kq reads in that graph and what the first node after attention reads
/// (<c>key=inputs</c>), written out by hand.
/// </summary>
[TestFixture("llama", "tinyllama-mini", "Qcur-2#2 Kcur-2#2", "ffn_inp-0=attn_out-0 embd")]
[TestFixture("qwen2", "qwen2-mini", "Qcur-2#3 Kcur-2#3", "ffn_inp-0=kqv_out-0 embd")]
[TestFixture("qwen3", "qwen3-mini", "Qcur-2#2 Kcur-2#2", "ffn_inp-0=kqv_out-0 embd")]
[TestFixture("phi3", "phi3-mini", "Qcur-2#2 Kcur-2#1", "norm-0#1=kqv_out-0 embd")]
[TestFixture("qwen3moe", "qwen3moe-mini", "Qcur-2#2 Kcur-2#2", "ffn_inp-0=kqv_out-0 embd")]
[TestFixture("gemma2", "gemma2-mini", "Qcur-2#2 Kcur-2#2", "norm-0#1=kqv_out-0")]
[TestFixture("gemma3", "gemma3-mini", "Qcur-2#2 Kcur-2#2", "norm-0#3=kqv_out-0")]
public sealed class GraphDescriptorWalkTests(string architecture, string presetName, string kqInputs, string afterAttention)
{
    private static readonly int[] Tokens = [1, 300, 301, 302, 303];
    private readonly SyntheticPreset _preset = SyntheticPresets.Get(presetName);
    private TempDirectory _temp = null!;
    private GraphDescriptor _graph = null!;
    private DumpRun _engine = null!;
    private DumpRun _llama = null!;

    [OneTimeSetUp]
    public async Task SetUp()
    {
        _temp = new TempDirectory();
        _graph = GraphDescriptors.For(architecture);
        var model = Models.Synthetic(_preset);
        DumpRequest Request(string name) => new() { ModelPath = model, OutputDirectory = _temp.File(name), Tokens = Tokens, Steps = 1 };
        _engine = DumpRun.Open(EngineDumper.Dump(Request("engine"), Tokens).RunDirectory);
        _llama = DumpRun.Open((await Models.Runner.DumpAsync(Request("llama.cpp"))).RunDirectory);
    }

    [OneTimeTearDown]
    public void TearDown() => _temp.Dispose();

    [TestCase("engine", 0)]
    [TestCase("engine", 1)]
    [TestCase("llama.cpp", 0)]
    [TestCase("llama.cpp", 1)]
    public void The_compared_tensors_are_the_descriptors_nodes_in_graph_order(string side, int stepIndex)
    {
        using var step = Run(side).OpenStep(stepIndex);
        var compared = step.Tensors.Where(t => _graph.IgnoreReason(t.Name) is null).Select(t => t.Key).ToList();
        Assert.That(compared, Is.EqualTo(_graph.Keys(_preset.NLayer)));
    }

    [TestCase("engine")]
    [TestCase("llama.cpp")]
    public void Each_node_has_the_op_and_the_dimensions_the_descriptor_says(string side)
    {
        using var step = Run(side).OpenStep(0);
        foreach (var entry in step.Tensors.Where(t => _graph.IgnoreReason(t.Name) is null))
        {
            var node = _graph.NodeOf(entry.Name, entry.Occurrence)!;
            Assert.That(entry.Op, Is.EqualTo(node.Op), entry.Key);
            Assert.That(entry.Ne.Skip(node.Dims.Count), Is.All.EqualTo(1), $"{entry.Key}: [{string.Join(", ", entry.Ne)}] has a dimension {string.Join(", ", node.Dims)} does not label");
        }
    }

    [Test]
    public void The_labels_name_the_dimensions_they_index()
    {
        using var step = _engine.OpenStep(0);
        var preset = _preset;
        var sizes = new Dictionary<string, long[]>
        {
            ["token"] = [Tokens.Length],
            ["head"] = [preset.NHead, preset.NHeadKv],
            ["kv"] = [Tokens.Length],
            ["vocab"] = [preset.VocabSize],
        };
        foreach (var entry in step.Tensors)
        {
            var dims = _graph.NodeOf(entry.Name, entry.Occurrence)!.Dims;
            for (var i = 0; i < dims.Count; i++)
            {
                if (sizes.TryGetValue(dims[i], out var allowed))
                {
                    Assert.That(allowed, Does.Contain(entry.Ne[i]), $"{entry.Key} ne[{i}] labelled {dims[i]}");
                }
            }
        }
    }

    [Test]
    public void Every_op_input_is_computed_upstream_in_the_dump()
    {
        using var step = _engine.OpenStep(0);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in step.Tensors)
        {
            var inputs = _graph.InputsOf(entry.Key, _preset.NLayer);
            Assert.That(inputs, Is.SubsetOf(seen), $"{entry.Key} reads [{string.Join(", ", inputs)}]");
            seen.Add(entry.Key);
        }

        Assert.That(_graph.InputsOf("kq-2", 4), Is.EqualTo(kqInputs.Split(' ')));
        var (probe, probeInputs) = (afterAttention.Split('=')[0], afterAttention.Split('=')[1]);
        Assert.That(_graph.InputsOf(probe, 4), Is.EqualTo(probeInputs.Split(' ')));
        Assert.That(_graph.InputsOf("norm-3", 4), Is.EqualTo(new[] { "l_out-2" }));
        var outputHead = _graph.Keys(4).SkipWhile(k => k != "l_out-3").Skip(1).First();
        Assert.That(_graph.InputsOf(outputHead, 4), Is.EqualTo(new[] { "l_out-3" }), $"{outputHead}, the output head's first node");
    }

    [Test]
    public void Every_tensor_llama_cpp_has_beyond_the_nodes_is_ignored_with_a_reason_and_the_engine_has_none()
    {
        using var llama = _llama.OpenStep(0);
        using var engine = _engine.OpenStep(0);
        var extra = llama.Tensors.Where(t => _graph.NodeOf(t.Name, t.Occurrence) is null).ToList();
        Assert.That(extra, Is.Not.Empty, "llama.cpp dumps its views and KV cache too");
        Assert.That(extra.Select(t => _graph.IgnoreReason(t.Name)), Has.None.Null, string.Join(", ", extra.Where(t => _graph.IgnoreReason(t.Name) is null).Select(t => t.Key)));
        Assert.That(engine.Tensors.Where(t => _graph.IgnoreReason(t.Name) is not null).Select(t => t.Key), Is.Empty);
    }

    [Test]
    public void The_roles_point_at_tensors_both_dumps_have()
    {
        using var step = _engine.OpenStep(0);
        Assert.That(step.TryGet(_graph.LogitsKey!, out var logits), Is.True);
        Assert.That(logits!.Ne[0], Is.EqualTo(_preset.VocabSize));
        Assert.That(step.TryGet(_graph.Residual.Input, out _), Is.True);
        Assert.That(step.Tensors.Count(t => _graph.IsResidual(t.Name)), Is.EqualTo(_preset.NLayer + 1));
        Assert.That(_graph.CountLayers(step.Tensors.Select(t => t.Name)), Is.EqualTo(_preset.NLayer));
        Assert.That(_graph.MaskedAttentionStems, Is.SupersetOf(new[] { "kq", "kq_soft_max" }), "Gemma 2's soft-cap ops are attention rows too");
        Assert.That(_graph.Nodes.Where(n => n.MaskedAttention).Select(n => string.Join(",", n.Dims)), Is.All.EqualTo("kv,token,head"));
    }

    [Test]
    public void The_weights_are_the_synthetic_models_tensors_in_file_order()
    {
        foreach (var shape in SyntheticPresets.All.Where(p => p.Architecture == architecture))
        {
            // The presets' own shapes run to gigabytes in F32; their tensor sets (tied LM head, rope_freqs, biases) are what matters here.
            var preset = shape with { NEmbd = 256, NFf = 512, NLayer = 2, NHead = 4, NHeadKv = 2, ExpertCount = Math.Min(shape.ExpertCount, 4), ExpertUsedCount = Math.Min(shape.ExpertUsedCount, 2), ExpertFeedForwardLength = Math.Min(shape.ExpertFeedForwardLength, 128) };
            var path = _temp.File(preset.Name + ".gguf");
            SyntheticModel.Write(preset, path);
            using var file = Parity.Gguf.GgufFile.Open(path);
            var expected = _graph.Weights.InFileOrder(preset.NLayer)
                .Where(w => !(w.Weight.AbsentWhenTied && preset.TiedEmbeddings) && !(w.Weight.Optional && preset.RopeScaling is null))
                .Select(w => w.Name);
            Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(expected), preset.Name);
            Assert.That(file.Tensors.Select(t => t.Name), Has.Some.StartsWith("blk.1."), preset.Name);
        }
    }

    private DumpRun Run(string side) => side == "engine" ? _engine : _llama;
}
