using System.Globalization;
using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// <c>general.architecture = qwen3moe</c> (llama.cpp's <c>src/models/qwen3moe.cpp</c> with <c>build_moe_ffn</c>):
/// Qwen3-MoE. qwen3's attention with a mixture-of-experts FFN: a router (<c>ffn_gate_inp</c>), softmax over the
/// experts, the top <c>expert_used_count</c> by llama.cpp's argsort, their probabilities normalised to sum 1, and each
/// chosen expert's SwiGLU (<c>MUL_MAT_ID</c>) weighted and summed (see <see cref="MoeTransformer"/>).
/// </summary>
public sealed class Qwen3MoeArchitecture : LlamaArchitecture
{
    public override string Name => "qwen3moe";

    protected override bool TakesRopeFactors => false;

    protected override bool TakesExperts => true;

    public override ModelConfig ReadConfig(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var config = base.ReadConfig(file) with { RopeMode = RopeMode.Neox };
        var experts = Count(file, GgufKeys.ExpertCount, null);
        var used = Count(file, GgufKeys.ExpertUsedCount, null);
        if (used > experts)
        {
            throw file.WrongValue(GgufKeys.Arch(Name, GgufKeys.ExpertUsedCount), $"at most expert_count ({experts})", used.ToString(CultureInfo.InvariantCulture));
        }

        // llama.cpp: expert_feed_forward_length, else feed_forward_length / expert_used_count
        var nFfExp = Count(file, GgufKeys.ExpertFeedForwardLength, config.NFf / used);
        return config with { ExpertCount = experts, ExpertUsedCount = used, NFfExp = nFfExp };
    }

    protected override LayerWeights LoadLayer(TensorSet tensors, string p, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(config);
        int E = config.NEmbd, Eq = config.NEmbdQ, Ekv = config.NEmbdKv, X = config.ExpertCount, F = config.NFfExp;
        return new LayerWeights
        {
            AttnNorm = tensors.Vector(p + "attn_norm.weight", E),
            Wq = tensors.Matrix(p + "attn_q.weight", E, Eq),
            Wk = tensors.Matrix(p + "attn_k.weight", E, Ekv),
            Wv = tensors.Matrix(p + "attn_v.weight", E, Ekv),
            AttnQNorm = tensors.Vector(p + "attn_q_norm.weight", config.HeadDim),
            AttnKNorm = tensors.Vector(p + "attn_k_norm.weight", config.HeadDim),
            Wo = tensors.Matrix(p + "attn_output.weight", Eq, E),
            FfnNorm = tensors.Vector(p + "ffn_norm.weight", E),
            Experts = new ExpertWeights
            {
                Router = tensors.Matrix(p + "ffn_gate_inp.weight", E, X),
                Gate = tensors.Experts(p + "ffn_gate_exps.weight", E, F, X),
                Up = tensors.Experts(p + "ffn_up_exps.weight", E, F, X),
                Down = tensors.Experts(p + "ffn_down_exps.weight", F, E, X),
            },
        };
    }

    public override Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options) =>
        new MoeTransformer(file, config, weights, options);

    /// <summary>A count key: at least 1 (and at most 65536), <paramref name="fallback"/> when absent, else refused as missing.</summary>
    private int Count(GgufFile file, string key, int? fallback)
    {
        var x = U32(file, key);
        if (x is null)
        {
            return fallback ?? throw new KeyNotFoundException($"{file.Path}: metadata key '{GgufKeys.Arch(Name, key)}' is missing; the {Name} architecture requires it");
        }

        return x is >= 1 and <= 65536 ? (int)x : throw file.WrongValue(GgufKeys.Arch(Name, key), "a count from 1 to 65536", x.Value.ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>The qwen3moe graph: qwen3's, with the mixture-of-experts FFN (its output traced as <c>ffn_moe_out</c>).</summary>
public class MoeTransformer(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options)
    : LlamaTransformer(file, config, weights, options)
{
    protected override void TraceAttentionOutput(int il, int n, Tracing.ITensorSink? sink)
    {
    }

    protected override void FeedForwardBlock(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, Tracing.ITensorSink? sink) =>
        ExpertFeedForward(il, layer, cur, n, sink);
}
