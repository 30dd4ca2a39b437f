using System.Text.RegularExpressions;

namespace Parity.Harness.Graph;

/// <summary>
/// What the harness knows about one architecture's graph, read from <c>reference-data/architectures/&lt;arch&gt;.json</c>
/// (docs/architectures.md): which tensors are compared and which not (and why), each op's inputs, the residual
/// checkpoints, dimension labels, layout checks, masked attention rows, the logits, and the GGUF weights. Every harness
/// site that needs a tensor name asks this, chosen by the dump's <c>model.architecture</c>.
/// </summary>
public sealed class GraphDescriptor
{
    private static readonly IReadOnlyList<string> UnlabelledDims = ["ne0", "ne1", "ne2"];
    private readonly Dictionary<(string Stem, int Occurrence, bool PerLayer), GraphNode> _nodes;
    private readonly HashSet<string> _perLayerStems;
    private readonly Regex[] _ignore;
    private readonly GraphDescriptorFile _data;
    private GraphDescriptor? _other;

    /// <summary>The graph without flash attention, as <c>reference-data/architectures</c> describes it.</summary>
    internal GraphDescriptor(string file, GraphDescriptorFile data)
        : this(file, data, AttentionGraph.Softmax)
    {
    }

    /// <summary>The nodes of one attention graph: those of <paramref name="attention"/> and those of both.</summary>
    internal GraphDescriptor(string file, GraphDescriptorFile data, AttentionGraph attention)
    {
        _data = data;
        Attention = attention;
        File = file;
        Architecture = data.Architecture;
        Source = data.Source;
        Aliases = data.Aliases;
        Ignore = data.Ignore;
        Residual = data.Residual;
        OpNames = data.OpNames;
        Nodes = [.. data.Nodes.Where(n => n.Attention is null || n.Attention == attention)];
        Weights = data.Weights;
        _nodes = Nodes.ToDictionary(n => (n.Stem, n.Occurrence, n.PerLayer));
        _perLayerStems = [.. Nodes.Where(n => n.PerLayer).Select(n => n.Stem)];
        _ignore = [.. Ignore.Select(r => new Regex(r.Pattern, RegexOptions.CultureInvariant))];
    }

    /// <summary>The attention graph whose nodes <see cref="Nodes"/> lists.</summary>
    public AttentionGraph Attention { get; }

    /// <summary>
    /// The same architecture's descriptor for the graph llama.cpp builds with flash attention on or off (a dump's
    /// <c>options.flashAttention</c>).
    /// </summary>
    public GraphDescriptor ForFlashAttention(bool flashAttention)
    {
        var wanted = flashAttention ? AttentionGraph.Flash : AttentionGraph.Softmax;
        return wanted == Attention ? this : (_other ??= new GraphDescriptor(File, _data, wanted));
    }

    /// <summary>The file the descriptor was read from, for messages.</summary>
    public string File { get; }

    /// <summary><c>general.architecture</c> of the models it describes.</summary>
    public string Architecture { get; }

    /// <summary>Which reference source the graph mirrors (informational).</summary>
    public string? Source { get; }

    /// <summary>Key of side A → key of side B, for producers that name a tensor differently.</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; }

    public IReadOnlyList<IgnoreRule> Ignore { get; }

    public Residual Residual { get; }

    /// <summary>ggml op → the words a verdict uses for what it does in this graph ("local: RoPE on ...").</summary>
    public IReadOnlyDictionary<string, string> OpNames { get; }

    /// <summary>The compared tensors in graph order: per-step nodes before the layers, one layer's nodes, per-step nodes after.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    public GraphWeights Weights { get; }

    /// <summary>Why a tensor is not compared, or null when it should be.</summary>
    public string? IgnoreReason(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var i = Array.FindIndex(_ignore, r => r.IsMatch(name));
        return i < 0 ? null : Ignore[i].Reason;
    }

    /// <summary>The node of the <paramref name="occurrence"/>-th tensor named <paramref name="name"/>, or null when the graph does not list it.</summary>
    public GraphNode? NodeOf(string name, int occurrence)
    {
        ArgumentNullException.ThrowIfNull(name);
        var (stem, layer) = GraphReference.SplitName(name);
        return _nodes.GetValueOrDefault((stem, occurrence, layer is not null));
    }

    /// <summary>The node of a dump key (<c>Qcur-0#2</c>), or null.</summary>
    public GraphNode? NodeOfKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var (name, occurrence) = GraphReference.SplitKey(key);
        return NodeOf(name, occurrence);
    }

    /// <summary>
    /// The keys of the tensors the op that made <paramref name="key"/> reads, in a model of <paramref name="nLayer"/>
    /// layers: <c>kq-2</c> reads <c>Qcur-2#2</c> and <c>Kcur-2#2</c>. Empty for token-id inputs and unlisted tensors.
    /// </summary>
    public IReadOnlyList<string> InputsOf(string key, int nLayer)
    {
        ArgumentNullException.ThrowIfNull(key);
        var (name, _) = GraphReference.SplitKey(key);
        var layer = GraphReference.SplitName(name).Layer ?? 0;
        return NodeOfKey(key) is { } node ? [.. node.Inputs.Select(i => Resolve(i, node, layer, nLayer))] : [];
    }

    /// <summary>What each dimension of a tensor indexes, ne[0] first; <c>ne0</c>, <c>ne1</c>, <c>ne2</c> for tensors the graph does not list.</summary>
    public IReadOnlyList<string> DimensionLabels(string name, int occurrence) => NodeOf(name, occurrence)?.Dims ?? UnlabelledDims;

    /// <summary>What <paramref name="op"/> does in this graph, in a verdict's words; the op itself when the descriptor has none.</summary>
    public string DescribeOp(string op) => OpNames.GetValueOrDefault(op, op);

    /// <summary>Whether the tensor of dump key <paramref name="key"/> is a residual checkpoint bisect tests first.</summary>
    public bool IsCheckpoint(string key) => NodeOfKey(key)?.Checkpoint == true;

    /// <summary>Whether the tensor is the residual stream between layers: the stream's input or a layer's output.</summary>
    public bool IsResidual(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var (stem, layer) = GraphReference.SplitName(name);
        return layer is null ? stem == Residual.Input : stem == Residual.LayerOutput;
    }

    /// <summary>What layer <paramref name="layer"/> reads from the residual stream: <c>embd</c> for layer 0, else <c>l_out-(layer-1)</c>.</summary>
    public string LayerInputKey(int layer) => layer == 0 ? Residual.Input : LayerOutputKey(layer - 1);

    /// <summary>Layer <paramref name="layer"/>'s output on the residual stream: <c>l_out-layer</c>.</summary>
    public string LayerOutputKey(int layer) => GraphReference.LayerName(Residual.LayerOutput, layer);

    /// <summary>The key of the output logits, or null when the graph has none.</summary>
    public string? LogitsKey => Nodes.FirstOrDefault(n => n.Logits)?.KeyIn(0);

    /// <summary>The stems of masked attention rows (<see cref="GraphNode.MaskedAttention"/>).</summary>
    public IReadOnlyList<string> MaskedAttentionStems => [.. Nodes.Where(n => n.MaskedAttention).Select(n => n.Stem).Distinct()];

    /// <summary>How many layers a step's tensor names hold: the count of layer outputs.</summary>
    public int CountLayers(IEnumerable<string> names) => names.Count(n => GraphReference.SplitName(n) is { Layer: not null } s && s.Stem == Residual.LayerOutput);

    /// <summary>Every compared key of one step of an <paramref name="nLayer"/>-layer model, in graph order.</summary>
    public IReadOnlyList<string> Keys(int nLayer)
    {
        var keys = new List<string>();
        var layerBlock = Nodes.Where(n => n.PerLayer).ToList();
        var firstLayerNode = Nodes.ToList().FindIndex(n => n.PerLayer);
        keys.AddRange(Nodes.Take(firstLayerNode < 0 ? Nodes.Count : firstLayerNode).Select(n => n.KeyIn(0)));
        for (var il = 0; il < nLayer; il++)
        {
            keys.AddRange(layerBlock.Select(n => n.KeyIn(il)));
        }

        keys.AddRange(Nodes.Skip(firstLayerNode < 0 ? Nodes.Count : firstLayerNode + layerBlock.Count).Select(n => n.KeyIn(0)));
        return keys;
    }

    public override string ToString() => $"{Architecture} ({File})";

    private string Resolve(string input, GraphNode node, int layer, int nLayer)
    {
        switch (input)
        {
            case GraphReference.LayerInput:
                return LayerInputKey(layer);
            case GraphReference.LastLayerOutput:
                return LayerOutputKey(nLayer - 1);
        }

        var r = GraphReference.Parse(input);
        var name = node.PerLayer && _perLayerStems.Contains(r.Stem) ? GraphReference.LayerName(r.Stem, layer) : r.Stem;
        return Parity.Dump.DumpTensorNames.KeyFor(name, r.Occurrence);
    }
}
