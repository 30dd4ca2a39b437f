using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Parity.Cli;
using Parity.Harness.Engine;
using Parity.Harness.Graph;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Graph;

/// <summary>A descriptor is checked when it is read: a bad member is refused naming the file, the member and what was expected.</summary>
[TestFixture]
public sealed class GraphDescriptorLoaderTests
{
    private static string RepoDescriptor => Path.Combine(RepoRoot.Find(), "reference-data", "architectures", "llama.json");

    [Test]
    public void The_repository_descriptor_loads_and_is_the_one_the_program_reads()
    {
        var graph = GraphDescriptors.For("llama");
        Assert.That(graph.Architecture, Is.EqualTo("llama"));
        Assert.That(File.ReadAllText(graph.File), Is.EqualTo(File.ReadAllText(RepoDescriptor)), "the copy beside the program is the repository's file");
        Assert.That(GraphDescriptors.Load(RepoDescriptor).Nodes, Has.Count.EqualTo(graph.Nodes.Count));
    }

    [Test]
    public void An_unknown_architecture_is_refused_naming_it_and_the_ones_there_are()
    {
        var e = Assert.Throws<InvalidDataException>(() => GraphDescriptors.For("mamba"));
        Assert.That(e!.Message, Does.StartWith("no graph descriptor for architecture 'mamba' in reference-data/architectures (have: ").And.Contain("llama, "));
    }

    [Test]
    public void A_diff_of_dumps_of_an_architecture_without_a_descriptor_exits_2_naming_it()
    {
        using var temp = new TempDirectory();
        var model = Models.Synthetic(SyntheticPresets.Micro);
        var run = EngineDumper.Dump(new DumpRequest { ModelPath = model, OutputDirectory = temp.File("run"), Tokens = [1, 300] }, [1, 300]).RunDirectory;
        foreach (var file in Directory.EnumerateFiles(run, "*.json", SearchOption.AllDirectories))
        {
            File.WriteAllText(file, Regex.Replace(File.ReadAllText(file), @"""architecture"":\s*""llama""", @"""architecture"": ""mamba"""));
        }

        var (code, stdout, stderr) = ParityCli.Run("diff", run, run);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stdout + stderr);
        Assert.That(stderr, Does.Contain("no graph descriptor for architecture 'mamba' in reference-data/architectures (have: "));
    }

    [TestCase("nodes[0].dims[1]", "\"tokn\"", "$.nodes[0].dims[1]", "found 'tokn'")]
    [TestCase("nodes[1].perLayer", "\"yes\"", "$.nodes[1].perLayer", "could not be converted")]
    [TestCase("nodes[11].layoutChecks[0]", "\"gqaMaping\"", "$.nodes[11].layoutChecks[0]", "LayoutCheck")]
    [TestCase("nodes[11].inputs[0]", "\"kq_soft_max\"", "$.nodes[11].inputs", "'kq_soft_max-0' (read by kq-0) is not computed before it")]
    [TestCase("nodes[3].inputs[0]", "\"$layer_output\"", "$.nodes[3].inputs[0]", "found '$layer_output'")]
    [TestCase("residual.layerOutput", "\"ffn_out\"", "$.residual.layerOutput", "expected a per-layer checkpoint node")]
    [TestCase("formatVersion", "2", "$.formatVersion", "expected 1, found 2")]
    [TestCase("architecture", "\"llama3\"", "$.architecture", "expected 'llama' (the file name)")]
    [TestCase("ignore[0].pattern", "\"(unclosed\"", "$.ignore[0].pattern", "expected a regular expression")]
    [TestCase("weights.tensors[1].ne[0]", "\"n_emb\"", "$.weights.tensors[1].ne[0]", "ModelDimension")]
    [TestCase("weights.tensors[1].type", "\"f31\"", "$.weights.tensors[1].type", "expected a ggml type name")]
    public void A_bad_field_is_refused_naming_the_file_and_the_field(string field, string json, string named, string expected)
    {
        using var temp = new TempDirectory();
        var path = WriteEdited(temp, root => Set(root, field, JsonNode.Parse(json)));
        var e = Assert.Throws<InvalidDataException>(() => GraphDescriptors.Load(path));
        Assert.That(e!.Message, Does.StartWith(path + ": " + named).And.Contain(expected));
    }

    [Test]
    public void A_misspelt_member_is_refused_rather_than_ignored()
    {
        using var temp = new TempDirectory();
        var path = WriteEdited(temp, root => root["nodes"]![12]!["maskedAtention"] = true);
        var e = Assert.Throws<InvalidDataException>(() => GraphDescriptors.Load(path));
        Assert.That(e!.Message, Does.StartWith(path + ": $.nodes[12]").And.Contain("maskedAtention"));
    }

    [Test]
    public void A_missing_required_member_is_refused_naming_it()
    {
        using var temp = new TempDirectory();
        var path = WriteEdited(temp, root => root["nodes"]![5]!.AsObject().Remove("op"));
        var e = Assert.Throws<InvalidDataException>(() => GraphDescriptors.Load(path));
        Assert.That(e!.Message, Does.StartWith(path + ": $.nodes[5]").And.Contain("'op'"));
    }

    [Test]
    public void Per_layer_nodes_out_of_one_block_are_refused()
    {
        using var temp = new TempDirectory();
        var path = WriteEdited(temp, root => root["nodes"]![10]!["perLayer"] = false);
        var e = Assert.Throws<InvalidDataException>(() => GraphDescriptors.Load(path));
        Assert.That(e!.Message, Does.StartWith(path + ": $.nodes[10]").And.Contain("contiguous"));
    }

    /// <summary>The repository's descriptor, edited, as <c>llama.json</c> in a scratch directory (the name must match the architecture).</summary>
    private static string WriteEdited(TempDirectory temp, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(File.ReadAllText(RepoDescriptor))!.AsObject();
        edit(root);
        var path = temp.File("llama.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    /// <summary>Sets a member by a path like <c>nodes[11].inputs[0]</c>.</summary>
    private static void Set(JsonObject root, string path, JsonNode? value)
    {
        JsonNode parent = root;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var (name, index) = parts[i].Contains('[', StringComparison.Ordinal)
                ? (parts[i][..parts[i].IndexOf('[', StringComparison.Ordinal)], int.Parse(parts[i][(parts[i].IndexOf('[', StringComparison.Ordinal) + 1)..^1], System.Globalization.CultureInfo.InvariantCulture))
                : (parts[i], -1);
            var last = i == parts.Length - 1;
            if (index < 0)
            {
                if (last)
                {
                    parent[name] = value;
                    return;
                }

                parent = parent[name]!;
            }
            else if (last)
            {
                parent[name]![index] = value;
                return;
            }
            else
            {
                parent = parent[name]![index]!;
            }
        }
    }
}
