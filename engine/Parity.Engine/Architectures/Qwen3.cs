using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// <c>general.architecture = qwen3</c> (llama.cpp's <c>src/models/qwen3.cpp</c>): Qwen3 dense models. The llama
/// block without biases, with per-head RMS norms on Q and K between their reshape and RoPE (each traced as
/// <c>norm-N</c> then <c>Qcur_normed-N</c>/<c>Kcur_normed-N</c>), a head size from <c>attention.key_length</c> that
/// need not be <c>n_embd / n_head</c>, NEOX RoPE, and the attention output projection unnamed as in qwen2.
/// </summary>
public sealed class Qwen3Architecture : LlamaArchitecture
{
    public override string Name => "qwen3";

    protected override bool TakesRopeFactors => false;

    public override ModelConfig ReadConfig(GgufFile file) => base.ReadConfig(file) with { RopeMode = RopeMode.Neox };

    protected override LayerWeights LoadLayer(TensorSet tensors, string p, ModelConfig config) => base.LoadLayer(tensors, p, config) with
    {
        AttnQNorm = tensors.Vector(p + "attn_q_norm.weight", config.HeadDim),
        AttnKNorm = tensors.Vector(p + "attn_k_norm.weight", config.HeadDim),
    };

    public override Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options) =>
        new QwenTransformer(file, config, weights, options);
}
