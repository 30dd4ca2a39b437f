using Parity.Gguf;
using Parity.Harness.Bench;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Bench;

[TestFixture]
public sealed class RooflineTests
{
    [Test]
    public void A_mixture_of_experts_token_reads_only_its_routed_experts()
    {
        var model = Models.Synthetic(SyntheticPresets.Qwen3MoeMini);
        using var file = GgufFile.Open(model);
        var used = file.GetValue("qwen3moe.expert_used_count").AsInt64();
        var count = file.GetValue("qwen3moe.expert_count").AsInt64();
        var experts = file.Tensors.Where(t => t.Name.EndsWith("_exps.weight", StringComparison.Ordinal)).ToList();
        // Without an output.weight the embedding table is the LM head, read whole every token.
        var embedding = file.TryGetTensor("output.weight", out _) ? "token_embd.weight" : null;
        var dense = file.Tensors.Where(t => !t.Name.EndsWith("_exps.weight", StringComparison.Ordinal) && t.Name != embedding).Sum(t => t.ByteSize);
        Assert.That(experts, Is.Not.Empty);
        Assert.That(used, Is.LessThan(count));

        var bytes = Roofline.WeightBytes(model);

        Assert.That(bytes, Is.EqualTo(dense + experts.Sum(t => t.ByteSize * used / count)));
    }

    [Test]
    public void A_dense_model_reads_every_weight_but_the_untied_embedding_table()
    {
        var model = Models.Synthetic(SyntheticPresets.Micro);
        using var file = GgufFile.Open(model);
        Assume.That(file.TryGetTensor("output.weight", out _), Is.True, "micro has its own LM head");

        var bytes = Roofline.WeightBytes(model);

        Assert.That(bytes, Is.EqualTo(file.Tensors.Where(t => t.Name != "token_embd.weight").Sum(t => t.ByteSize)));
    }
}
