using System.Text.Json;
using System.Text.RegularExpressions;
using Parity.Gguf;

namespace Parity.Harness.Graph;

/// <summary>
/// Reads and checks a descriptor file. Every refusal is an <see cref="InvalidDataException"/> naming the file, the
/// JSON path of the member and what was expected, so a broken descriptor fails at load, not as a wrong verdict later.
/// </summary>
internal static class GraphDescriptorLoader
{
    /// <summary>The dimension labels the pinpointing (<see cref="Bisect.ErrorLocator"/>) knows.</summary>
    private static readonly HashSet<string> KnownDims = ["channel", "token", "head", "kv", "vocab", "expert", "slot"];

    private static readonly string[] AttentionDims = ["kv", "token", "head"];

    public static GraphDescriptor Load(string path)
    {
        var data = Parse(path);
        new Checker(path, data).Check();
        return new GraphDescriptor(path, data);
    }

    private static GraphDescriptorFile Parse(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(System.IO.File.ReadAllText(path), GraphJsonContext.Default.GraphDescriptorFile)
                ?? throw GraphDescriptorError.At(path, "$", "expected a JSON object, found null");
        }
        catch (JsonException e)
        {
            // The serializer's message repeats the path and counts lines from 0; say it once, as an editor counts.
            var message = e.Message.Split(" Path: ", 2)[0];
            var line = e.LineNumber is { } n ? $" (line {n + 1})" : string.Empty;
            throw GraphDescriptorError.At(path, e.Path ?? "$", message + line, e);
        }
    }

    private sealed class Checker(string path, GraphDescriptorFile data)
    {
        public void Check()
        {
            Require(data.FormatVersion == 1, "$.formatVersion", $"expected 1, found {data.FormatVersion}");
            var expected = Path.GetFileNameWithoutExtension(path);
            Require(data.Architecture == expected, "$.architecture", $"expected '{expected}' (the file name), found '{data.Architecture}'");
            CheckIgnore();
            for (var i = 0; i < data.Nodes.Count; i++)
            {
                CheckNode(data.Nodes[i], $"$.nodes[{i}]");
            }

            CheckContiguous(data.Nodes.Select(n => n.PerLayer).ToList(), "$.nodes");
            CheckResidual();
            foreach (var attention in Enum.GetValues<AttentionGraph>())
            {
                CheckUnique(attention);
                CheckUpstream(attention);
            }

            CheckWeights();
        }

        private void CheckIgnore()
        {
            for (var i = 0; i < data.Ignore.Count; i++)
            {
                var rule = data.Ignore[i];
                Require(!string.IsNullOrWhiteSpace(rule.Reason), $"$.ignore[{i}].reason", "expected why the tensors are not compared");
                try
                {
                    _ = new Regex(rule.Pattern, RegexOptions.CultureInvariant);
                }
                catch (ArgumentException e)
                {
                    throw GraphDescriptorError.At(path, $"$.ignore[{i}].pattern", $"expected a regular expression ({e.Message})", e);
                }
            }
        }

        private void CheckNode(GraphNode node, string at)
        {
            Require(GraphReference.TryParse(node.Tensor, out _), at + ".tensor", $"expected stem or stem#occurrence, found '{node.Tensor}'");
            Require(!string.IsNullOrWhiteSpace(node.Op), at + ".op", "expected the ggml op (MUL_MAT, ROPE, ...)");
            Require(node.Dims.Count is >= 1 and <= 3, at + ".dims", $"expected 1 to 3 labels, found {node.Dims.Count}");
            foreach (var (dim, j) in node.Dims.Select((d, j) => (d, j)))
            {
                Require(KnownDims.Contains(dim), $"{at}.dims[{j}]", $"expected one of {string.Join(", ", KnownDims)}, found '{dim}'");
            }

            Require(!node.MaskedAttention || node.Dims.SequenceEqual(AttentionDims), at + ".dims", "masked attention rows are [kv, token, head]");
            Require(!node.Logits || (!node.PerLayer && node.Dims[0] == "vocab"), at + ".logits", "the logits are one per-step tensor with dims [vocab, token]");
            Require(node.PackedHeads is null || node.Dims[0] == "channel", at + ".packedHeads", "heads are packed in a channel dimension (dims[0] 'channel')");
            Require(node.RoutesBy is null || (node.Dims.Count == 2 && node.Dims[1] == "token"), at + ".routesBy", "an expert choice has dims [expert or slot, token]");
            Require(!node.LayoutChecks.Contains(LayoutCheck.RopePairing) || node.Inputs.Count == 1, at + ".layoutChecks", "ropePairing needs the one input RoPE rotates");
            Require(!node.LayoutChecks.Contains(LayoutCheck.GqaMapping) || (node.Inputs.Count == 2 && node.Dims.SequenceEqual(AttentionDims)), at + ".layoutChecks", "gqaMapping needs inputs [queries, keys] and dims [kv, token, head]");
            for (var j = 0; j < node.Inputs.Count; j++)
            {
                CheckInput(node, node.Inputs[j], $"{at}.inputs[{j}]");
            }
        }

        private void CheckInput(GraphNode node, string input, string at)
        {
            if (input == GraphReference.LayerInput)
            {
                Require(node.PerLayer, at, $"{GraphReference.LayerInput} is read only by per-layer nodes");
                return;
            }

            if (input == GraphReference.LastLayerOutput)
            {
                Require(!node.PerLayer, at, $"{GraphReference.LastLayerOutput} is read only by per-step nodes after the layers");
                return;
            }

            Require(GraphReference.TryParse(input, out _), at, $"expected stem, stem#occurrence, {GraphReference.LayerInput} or {GraphReference.LastLayerOutput}, found '{input}'");
        }

        private void CheckContiguous(List<bool> perLayer, string at)
        {
            var first = perLayer.IndexOf(true);
            var last = perLayer.LastIndexOf(true);
            var gap = first < 0 ? -1 : Enumerable.Range(first, last - first + 1).FirstOrDefault(i => !perLayer[i], -1);
            Require(gap < 0, $"{at}[{gap}]", "per-layer entries must be contiguous (one layer's block, in graph order)");
        }

        /// <summary>No tensor twice in one attention graph (a node of each graph may share a name, as kqv_out does).</summary>
        private void CheckUnique(AttentionGraph attention)
        {
            var seen = new HashSet<(string, int, bool)>();
            for (var i = 0; i < data.Nodes.Count; i++)
            {
                var n = data.Nodes[i];
                if (n.Attention is { } only && only != attention)
                {
                    continue;
                }

                Require(seen.Add((n.Stem, n.Occurrence, n.PerLayer)), $"$.nodes[{i}].tensor", $"'{n.Tensor}' ({(n.PerLayer ? "per layer" : "per step")}) is listed twice");
            }
        }

        private void CheckResidual()
        {
            Require(data.Nodes.Any(n => !n.PerLayer && n.Tensor == data.Residual.Input && n.Checkpoint), "$.residual.input", $"expected a per-step checkpoint node, found '{data.Residual.Input}'");
            Require(data.Nodes.Any(n => n.PerLayer && n.Tensor == data.Residual.LayerOutput && n.Checkpoint), "$.residual.layerOutput", $"expected a per-layer checkpoint node, found '{data.Residual.LayerOutput}'");
        }

        /// <summary>Every input names a tensor computed earlier in graph order (two layers cover both layer-input cases).</summary>
        private void CheckUpstream(AttentionGraph attention)
        {
            var graph = new GraphDescriptor(path, data, attention);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in graph.Keys(2))
            {
                var node = graph.NodeOfKey(key)!;
                foreach (var input in graph.InputsOf(key, 2))
                {
                    var index = data.Nodes.ToList().IndexOf(node);
                    Require(seen.Contains(input), $"$.nodes[{index}].inputs", $"'{input}' (read by {key}) is not computed before it in graph order");
                }

                seen.Add(key);
            }
        }

        private void CheckWeights()
        {
            Require(data.Weights.LayerPrefix.Contains(GraphReference.LayerPlaceholder, StringComparison.Ordinal), "$.weights.layerPrefix", $"expected a prefix holding {GraphReference.LayerPlaceholder}, found '{data.Weights.LayerPrefix}'");
            for (var i = 0; i < data.Weights.Tensors.Count; i++)
            {
                var w = data.Weights.Tensors[i];
                var at = $"$.weights.tensors[{i}]";
                Require(!string.IsNullOrWhiteSpace(w.Name), at + ".name", "expected the GGUF tensor name");
                Require(w.Ne.Count is >= 1 and <= 3, at + ".ne", $"expected 1 to 3 dimensions (3 for stacked experts), found {w.Ne.Count}");
                Require(w.Type is null || Enum.TryParse<GgmlType>(w.Type, ignoreCase: true, out _), at + ".type", $"expected a ggml type name (f32, f16), found '{w.Type}'");
            }

            CheckContiguous(data.Weights.Tensors.Select(w => w.PerLayer).ToList(), "$.weights.tensors");
        }

        private void Require(bool condition, string field, string problem)
        {
            if (!condition)
            {
                throw GraphDescriptorError.At(path, field, problem);
            }
        }
    }
}
