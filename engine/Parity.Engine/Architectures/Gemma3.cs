using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// <c>general.architecture = gemma3</c> (llama.cpp's <c>src/models/gemma3.cpp</c>, its iSWA graph): Gemma 3 text
/// models. Gemma 2's block with per-head RMS norms on Q and K before RoPE (<c>Qcur_normed</c>, <c>Kcur_normed</c>), no
/// soft-capping, sliding layers on all but every <c>sliding_window_pattern</c>-th layer (default 6) with their own
/// RoPE base (<c>rope.freq_base_swa</c>, default 10000, scale 1) and the global layers at <c>rope.freq_base</c> with
/// its linear scaling. A file without a sliding window (llama.cpp's non-iSWA gemma3 graph) is refused by name.
/// </summary>
public sealed class Gemma3Architecture : Gemma2Architecture
{
    public override string Name => "gemma3";

    protected override uint DefaultPattern => 6;

    protected override int LayersOf27B => 62;

    public override ModelConfig ReadConfig(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (U32(file, "attention.sliding_window") is null or 0)
        {
            throw new UnsupportedModelException(file.Path, $"a {Name} file without {GgufKeys.Arch(Name, "attention.sliding_window")} (llama.cpp's non-iSWA gemma3 graph, with its final soft-cap) is not implemented by the engine");
        }

        return base.ReadConfig(file) with
        {
            RopeFreqBaseSwa = F32(file, "rope.freq_base_swa") ?? 10000f,
            RopeFreqScaleSwa = 1.0f,
            AttnLogitSoftcapping = 0,
            FinalLogitSoftcapping = 0,
        };
    }

    protected override LayerWeights LoadLayer(TensorSet tensors, string p, ModelConfig config) => base.LoadLayer(tensors, p, config) with
    {
        AttnQNorm = tensors.Vector(p + "attn_q_norm.weight", config.HeadDim),
        AttnKNorm = tensors.Vector(p + "attn_k_norm.weight", config.HeadDim),
    };

    public override Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options) =>
        new Gemma3Transformer(file, config, weights, options);
}

/// <summary>The gemma3 graph: gemma2's, with the post-FFN weight multiply named per layer (<c>ffn_post_norm-N</c>).</summary>
public class Gemma3Transformer : GemmaTransformer
{
    private readonly string[] _ffnPostNorm;

    public Gemma3Transformer(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options)
        : base(file, config, weights, options)
    {
        _ffnPostNorm = TraceNames.PerLayer("ffn_post_norm", Config.NLayer);
    }

    protected override string? FfnPostNormName(int il) => _ffnPostNorm[il];
}
