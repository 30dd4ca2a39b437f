namespace Parity.Engine.Model;

/// <summary>llama.cpp's per-layer tensor names, formatted once (tracing then allocates no strings).</summary>
public sealed class TraceNames
{
    public TraceNames(int nLayer)
    {
        string[] Names(string stem) => PerLayer(stem, nLayer);
        Norm = Names("norm");
        AttnNorm = Names("attn_norm");
        Qcur = Names("Qcur");
        Kcur = Names("Kcur");
        Vcur = Names("Vcur");
        QcurNormed = Names("Qcur_normed");
        KcurNormed = Names("Kcur_normed");
        Kq = Names("kq");
        KqSoftMax = Names("kq_soft_max");
        Kqv = Names("kqv");
        KqvOut = Names("kqv_out");
        AttnOut = Names("attn_out");
        FfnInp = Names("ffn_inp");
        FfnNorm = Names("ffn_norm");
        FfnGate = Names("ffn_gate");
        FfnUp = Names("ffn_up");
        FfnSwiglu = Names("ffn_swiglu");
        FfnOut = Names("ffn_out");
        LOut = Names("l_out");
        MoeLogits = Names("ffn_moe_logits");
        MoeProbs = Names("ffn_moe_probs");
        MoeArgsort = Names("ffn_moe_argsort");
        MoeTopk = Names("ffn_moe_topk");
        MoeWeights = Names("ffn_moe_weights");
        MoeWeightsSum = Names("ffn_moe_weights_sum");
        MoeWeightsSumClamped = Names("ffn_moe_weights_sum_clamped");
        MoeWeightsNorm = Names("ffn_moe_weights_norm");
        MoeGate = Names("ffn_moe_gate");
        MoeUp = Names("ffn_moe_up");
        MoeSwiglu = Names("ffn_moe_swiglu");
        MoeDown = Names("ffn_moe_down");
        MoeWeighted = Names("ffn_moe_weighted");
        MoeOut = Names("ffn_moe_out");
    }

    /// <summary><c>stem-0</c> .. <c>stem-(nLayer-1)</c>: one llama.cpp name per layer, for a unit's own nodes.</summary>
    public static string[] PerLayer(string stem, int nLayer) => [.. Enumerable.Range(0, nLayer).Select(il => $"{stem}-{il}")];

    public string[] Norm { get; }

    public string[] AttnNorm { get; }

    public string[] Qcur { get; }

    public string[] Kcur { get; }

    public string[] Vcur { get; }

    public string[] QcurNormed { get; }

    public string[] KcurNormed { get; }

    public string[] Kq { get; }

    public string[] KqSoftMax { get; }

    public string[] Kqv { get; }

    public string[] KqvOut { get; }

    public string[] AttnOut { get; }

    public string[] FfnInp { get; }

    public string[] FfnNorm { get; }

    public string[] FfnGate { get; }

    public string[] FfnUp { get; }

    public string[] FfnSwiglu { get; }

    public string[] FfnOut { get; }

    public string[] LOut { get; }

    public string[] MoeLogits { get; }

    public string[] MoeProbs { get; }

    public string[] MoeArgsort { get; }

    public string[] MoeTopk { get; }

    public string[] MoeWeights { get; }

    public string[] MoeWeightsSum { get; }

    public string[] MoeWeightsSumClamped { get; }

    public string[] MoeWeightsNorm { get; }

    public string[] MoeGate { get; }

    public string[] MoeUp { get; }

    public string[] MoeSwiglu { get; }

    public string[] MoeDown { get; }

    public string[] MoeWeighted { get; }

    public string[] MoeOut { get; }
}
