using Parity.Engine.Model;
using Parity.Engine.Tracing;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// <c>general.architecture = qwen2</c> (llama.cpp's <c>src/models/qwen2.cpp</c>): Qwen2 and Qwen2.5. The llama block
/// with biases on the Q, K and V projections (required, each added and named after its matmul), NEOX RoPE and an
/// attention output projection the graph leaves unnamed. No RoPE frequency factors.
/// </summary>
public sealed class Qwen2Architecture : LlamaArchitecture
{
    public override string Name => "qwen2";

    protected override bool TakesRopeFactors => false;

    public override ModelConfig ReadConfig(GgufFile file) => base.ReadConfig(file) with { RopeMode = RopeMode.Neox };

    protected override LayerWeights LoadLayer(TensorSet tensors, string p, ModelConfig config) => base.LoadLayer(tensors, p, config) with
    {
        Bq = tensors.Vector(p + "attn_q.bias", config.NEmbdQ),
        Bk = tensors.Vector(p + "attn_k.bias", config.NEmbdKv),
        Bv = tensors.Vector(p + "attn_v.bias", config.NEmbdKv),
    };

    public override Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options) =>
        new QwenTransformer(file, config, weights, options);
}

/// <summary>
/// The qwen2 and qwen3 graphs: llama's order, with the attention output projection unnamed (llama.cpp's builders name
/// no <c>attn_out</c>, so it is compared through <c>ffn_inp</c>). Biases and Q/K norms come with the layer weights.
/// </summary>
public sealed class QwenTransformer(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options)
    : LlamaTransformer(file, config, weights, options)
{
    protected override void TraceAttentionOutput(int il, int n, ITensorSink? sink)
    {
    }
}
