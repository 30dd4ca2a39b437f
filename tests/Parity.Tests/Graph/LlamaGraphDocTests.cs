using Parity.Harness.Graph;

namespace Parity.Tests.Graph;

/// <summary>docs/llama-graph.md is what an engine author writes a dump from: it must name every compared node of the llama descriptor, with its op.</summary>
[TestFixture]
public sealed class LlamaGraphDocTests
{
    [Test]
    public void The_llama_graph_page_lists_every_descriptor_node_with_its_op()
    {
        var page = File.ReadAllText(Path.Combine(Parity.Tests.Support.RepoRoot.Find(), "docs", "llama-graph.md"));
        var descriptor = GraphDescriptors.For("llama");
        foreach (var node in descriptor.Nodes)
        {
            var key = node.PerLayer ? node.Stem + "-L" + (node.Occurrence > 0 ? $"#{node.Occurrence}" : string.Empty) : node.Tensor;
            Assert.That(page, Does.Contain($"| `{key}` | {node.Op} |"), $"{node.Tensor} ({node.Op})");
        }
    }
}
