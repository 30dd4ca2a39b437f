using System.Numerics.Tensors;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Engine.Tracing;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// <c>general.architecture = gemma2</c> (llama.cpp's <c>src/models/gemma2-iswa.cpp</c>): Gemma 2. Embeddings scaled
/// by sqrt(n_embd), Q scaled after RoPE by 1/sqrt(head_dim) (1/sqrt(n_embd/n_head) for the 46-layer 27B, as
/// llama.cpp decides by the layer count), attention scores and logits soft-capped by tanh, sliding-window attention on
/// all but every <c>sliding_window_pattern</c>-th layer (default 2), norms after attention and after the GELU-gated
/// feed-forward, NEOX RoPE, the LM head tied to the embeddings. The norm weights are used as stored (llama.cpp's
/// converter stores Gemma's 1 + w). A per-layer pattern array is refused by name.
/// </summary>
public class Gemma2Architecture : LlamaArchitecture
{
    public override string Name => "gemma2";

    protected override bool TakesRopeFactors => false;

    /// <summary>The pattern llama.cpp assumes without <c>sliding_window_pattern</c>: every second layer is global.</summary>
    protected virtual uint DefaultPattern => 2;

    /// <summary>The layer count of the 27B model, whose query scale llama.cpp takes from n_embd / n_head.</summary>
    protected virtual int LayersOf27B => 46;

    public override ModelConfig ReadConfig(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var c = base.ReadConfig(file);
        var window = U32(file, "attention.sliding_window") ?? 4096;
        if (window is 0 or > int.MaxValue)
        {
            // llama.cpp masks cells with p - p0 >= window: a window of 0 masks every cell of a sliding layer.
            throw new UnsupportedModelException(file.Path, $"{GgufKeys.Arch(Name, "attention.sliding_window")} {window} (a sliding layer that sees no cell) is not implemented by the engine's {Name} unit");
        }

        return c with
        {
            RopeMode = RopeMode.Neox,
            AttentionScale = 1.0f,
            QueryScale = QueryScaleOf(c),
            SlidingWindow = (int)window,
            SlidingLayers = SlidingLayers(file, c.NLayer),
            RopeFreqBaseSwa = F32(file, "rope.freq_base_swa") ?? c.RopeFreqBase,
            RopeFreqScaleSwa = c.RopeFreqScale,
            AttnLogitSoftcapping = F32(file, "attn_logit_softcapping") ?? 50.0f,
            FinalLogitSoftcapping = F32(file, "final_logit_softcapping") ?? 30.0f,
        };
    }

    /// <summary>llama.cpp's <c>f_attention_scale</c>: 1/sqrt(head_dim), but 1/sqrt(n_embd / n_head) for the 27B.</summary>
    protected float QueryScaleOf(ModelConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.NLayer == LayersOf27B ? 1.0f / MathF.Sqrt(c.NEmbd / c.NHead) : 1.0f / MathF.Sqrt(c.HeadDim);
    }

    /// <summary>llama.cpp's <c>set_swa_pattern(n)</c>: layer il slides unless il % n == n - 1 (n = 0: every layer slides).</summary>
    protected IReadOnlyList<bool> SlidingLayers(GgufFile file, int nLayer)
    {
        ArgumentNullException.ThrowIfNull(file);
        var key = GgufKeys.Arch(Name, "attention.sliding_window_pattern");
        if (file.TryGetValue(key, out var v) && v.IsArray)
        {
            throw new UnsupportedModelException(file.Path, $"{key} as a per-layer array is not implemented by the engine's {Name} unit (a period is)");
        }

        var pattern = U32(file, "attention.sliding_window_pattern") ?? DefaultPattern;
        return [.. Enumerable.Range(0, nLayer).Select(il => pattern == 0 || il % pattern < pattern - 1)];
    }

    protected override LayerWeights LoadLayer(TensorSet tensors, string p, ModelConfig config) => base.LoadLayer(tensors, p, config) with
    {
        AttnPostNorm = tensors.Vector(p + "post_attention_norm.weight", config.NEmbd),
        FfnPostNorm = tensors.Vector(p + "post_ffw_norm.weight", config.NEmbd),
    };

    public override Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options) =>
        new GemmaTransformer(file, config, weights, options);
}

/// <summary>
/// The gemma2 and gemma3 graphs (llama.cpp's iSWA builders), in llama.cpp's order and under its names. Q, K and V are
/// projected, normed (Gemma 3) and roped one after the other, Q scaled by <see cref="ModelConfig.QueryScale"/> (an
/// unnamed SCALE); the attention output projection is unnamed; the post-FFN norm and the output RMSNorm, named with layer -1
/// in llama.cpp (bare <c>norm</c>, and gemma2's <c>ffn_post_norm</c>), are not traced.
/// </summary>
public class GemmaTransformer : Transformer
{
    private readonly string[] _attnPostNorm;
    private readonly string[] _saOut;
    private readonly string[] _ffnGeglu;
    private readonly GatedActivation _geglu;
    private readonly string[] _kqScaled1;
    private readonly string[] _kqTanh;
    private readonly string[] _kqScaled2;

    public GemmaTransformer(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options)
        : base(file, config, weights, options)
    {
        string[] Names(string stem) => TraceNames.PerLayer(stem, Config.NLayer);
        _attnPostNorm = Names("attn_post_norm");
        _saOut = Names("sa_out");
        _ffnGeglu = Names("ffn_geglu");
        _geglu = (gate, up, act) => Geglu.Apply(gate, up, act, GgmlKernels is not null, GgmlKernels?.ContractsScalarCode ?? true);
        _kqScaled1 = Names("kq_scaled_1");
        _kqTanh = Names("kq_tanh");
        _kqScaled2 = Names("kq_scaled_2");
    }

    public override ReadOnlySpan<float> Forward(ReadOnlySpan<int> tokens, ITensorSink? sink = null, bool allLogits = true)
    {
        var s = State;
        var n = tokens.Length;
        var pos0 = BeginBatch(tokens);
        var E = Config.NEmbd;
        var inpL = s.InpL.AsSpan(0, n * E);
        var cur = s.Cur.AsSpan(0, n * E);

        Embed(tokens, inpL, sink);
        SoftCap.Scale(inpL, MathF.Sqrt(E));
        Trace(sink, "inp_scaled", "SCALE", inpL, E, n);
        for (var il = 0; il < Config.NLayer; il++)
        {
            var layer = Weights.Layers[il];
            Norm(inpL, layer.AttnNorm, cur, n, Names.Norm[il], Names.AttnNorm[il], sink);
            Projections(il, layer, cur, n, sink);
            Attend(il, layer, n, pos0, sink);

            // the attention output (unnamed) normed, plus the layer input
            Norm(s.AttnOut.AsSpan(0, n * E), layer.AttnPostNorm!, cur, n, Names.Norm[il], _attnPostNorm[il], sink);
            var saOut = s.FfnInp.AsSpan(0, n * E);
            TensorPrimitives.Add(cur, inpL, saOut);
            Trace(sink, _saOut[il], "ADD", saOut, E, n);

            Norm(saOut, layer.FfnNorm, cur, n, Names.Norm[il], Names.FfnNorm[il], sink);
            GatedFeedForward(il, layer, cur, n, sink, _geglu, _ffnGeglu[il], "GEGLU");

            // the feed-forward output normed, plus sa_out; llama.cpp names its RMSNorm with layer -1 (a bare norm the
            // descriptor cannot place in a layer), so only a per-layer name of the weight multiply is traced
            var postName = FfnPostNormName(il);
            Norm(s.FfnOut.AsSpan(0, n * E), layer.FfnPostNorm!, cur, n, null, postName ?? "ffn_post_norm", postName is null ? null : sink);
            TensorPrimitives.Add(cur, saOut, inpL);
            Trace(sink, Names.LOut[il], "ADD", inpL, E, n);
        }

        var logits = Output(inpL, n, allLogits ? n : 1, sink);
        s.Past = pos0 + n;
        return logits;
    }

    /// <summary>
    /// The trace name of layer <paramref name="il"/>'s post-FFN weight multiply, or null to leave it untraced: gemma2
    /// names it with layer -1 (a bare <c>ffn_post_norm</c> per layer).
    /// </summary>
    protected virtual string? FfnPostNormName(int il) => null;

    /// <summary>The output RMSNorm untraced: llama.cpp's is the n_layer-th bare <c>norm</c>, after the layers' post-FFN ones.</summary>
    protected override string? OutputNormName => null;

    /// <summary>Q, K, V in llama.cpp's order: each projected, reshaped, normed per head (Gemma 3), roped; Q then scaled.</summary>
    private void Projections(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, ITensorSink? sink)
    {
        var c = Config;
        var (freqBase, freqScale) = c.IsSliding(il) ? (c.RopeFreqBaseSwa, c.RopeFreqScaleSwa) : (c.RopeFreqBase, c.RopeFreqScale);
        var q = Project(layer.Wq, cur, n, State.Q, c.NHead, Names.Qcur[il], sink);
        HeadNorm(q, layer.AttnQNorm, c.NHead, n, Names.Norm[il], Names.QcurNormed[il], sink);
        Rope(q, c.NHead, n, freqBase, freqScale);
        Trace(sink, Names.Qcur[il], "ROPE", q, c.HeadDim, c.NHead, n);
        SoftCap.Scale(q, c.QueryScale);

        var k = Project(layer.Wk, cur, n, State.K, c.NHeadKv, Names.Kcur[il], sink);
        HeadNorm(k, layer.AttnKNorm, c.NHeadKv, n, Names.Norm[il], Names.KcurNormed[il], sink);
        Rope(k, c.NHeadKv, n, freqBase, freqScale);
        Trace(sink, Names.Kcur[il], "ROPE", k, c.HeadDim, c.NHeadKv, n);

        _ = Project(layer.Wv, cur, n, State.V, c.NHeadKv, Names.Vcur[il], sink);
    }

    private Span<float> Project(WeightMatrix w, ReadOnlySpan<float> cur, int n, float[] buffer, int heads, string name, ITensorSink? sink)
    {
        var width = heads * Config.HeadDim;
        var x = buffer.AsSpan(0, n * width);
        MatMul.Compute(w, cur, n, x);
        Trace(sink, name, "MUL_MAT", x, width, n);
        Trace(sink, name, "RESHAPE", x, Config.HeadDim, heads, n);
        return x;
    }


    /// <summary>A sliding layer's window: query position p attends the cells of positions p - window + 1 .. p.</summary>
    protected override int FirstVisibleCell(int il, int pos0, int t) =>
        Config.IsSliding(il) ? Math.Max(0, pos0 + t - Config.SlidingWindow + 1) : 0;

    /// <summary>With flash attention the soft-cap is inside the FLASH_ATTN_EXT node (ggml's <c>logit_softcap</c>).</summary>
    protected override float AttentionSoftCap => Config.AttnLogitSoftcapping;

    /// <summary>Gemma 2's attention soft-cap: kq_scaled_1, kq_tanh, kq_scaled_2.</summary>
    protected override void ShapeScores(int il, Span<float> kq, int n, int nKv, ITensorSink? sink)
    {
        var cap = Config.AttnLogitSoftcapping;
        if (cap == 0)
        {
            return;
        }

        var heads = Config.NHead;
        SoftCap.Scale(kq, 1.0f / cap);
        Trace(sink, _kqScaled1[il], "SCALE", kq, nKv, n, heads);
        SoftCap.Tanh(kq);
        Trace(sink, _kqTanh[il], "TANH", kq, nKv, n, heads);
        SoftCap.Scale(kq, cap);
        Trace(sink, _kqScaled2[il], "SCALE", kq, nKv, n, heads);
    }

    /// <summary>Gemma 2's final soft-cap: the matmul, a scale and the tanh unnamed, the last scale named <c>result_output</c>.</summary>
    protected override void FinishLogits(Span<float> logits, int rows, ITensorSink? sink)
    {
        var cap = Config.FinalLogitSoftcapping;
        if (cap == 0)
        {
            base.FinishLogits(logits, rows, sink);
            return;
        }

        SoftCap.Scale(logits, 1.0f / cap);
        SoftCap.Tanh(logits);
        SoftCap.Scale(logits, cap);
        Trace(sink, "result_output", "SCALE", logits, Config.NVocab, rows);
    }
}
