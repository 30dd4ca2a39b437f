using System.Numerics.Tensors;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Engine.Tracing;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// <c>general.architecture = phi3</c> (llama.cpp's <c>src/models/phi3.cpp</c>): Phi-3 and Phi-3.5 mini. One fused
/// projection for Q, K and V (<c>attn_qkv</c>, traced as <c>wqkv</c>; Q, K and V are views of its rows) and one for the
/// gate and up halves of the SwiGLU (<c>ffn_up</c>, 2 × n_ff rows, the gate first), NEOX RoPE, Q scaled by
/// 1/sqrt(head_dim) before attention (so the softmax scale is 1), and the attention output and its residual sum
/// unnamed. The long/short RoPE factors of the 128k models are refused by name.
/// </summary>
public sealed class Phi3Architecture : LlamaArchitecture
{
    public override string Name => "phi3";

    protected override bool TakesRopeFactors => false;

    public override ModelConfig ReadConfig(GgufFile file) => base.ReadConfig(file) with { RopeMode = RopeMode.Neox, AttentionScale = 1.0f };

    protected override LayerWeights LoadLayer(TensorSet tensors, string p, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(config);
        int E = config.NEmbd, Eq = config.NEmbdQ, Ekv = config.NEmbdKv, F = config.NFf;
        var qkv = tensors.Matrix(p + "attn_qkv.weight", E, Eq + (2 * Ekv));
        var gateUp = tensors.Matrix(p + "ffn_up.weight", E, 2 * F);
        return new LayerWeights
        {
            AttnNorm = tensors.Vector(p + "attn_norm.weight", E),
            Wqkv = qkv,
            Wq = qkv.Slice(0, Eq),
            Wk = qkv.Slice(Eq, Ekv),
            Wv = qkv.Slice(Eq + Ekv, Ekv),
            Wo = tensors.Matrix(p + "attn_output.weight", Eq, E),
            FfnNorm = tensors.Vector(p + "ffn_norm.weight", E),
            FfnGateUp = gateUp,
            FfnGate = gateUp.Slice(0, F),
            FfnUp = gateUp.Slice(F, F),
            FfnDown = tensors.Matrix(p + "ffn_down.weight", F, E),
        };
    }

    public override Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options) =>
        new Phi3Transformer(file, config, weights, options);
}

/// <summary>The phi3 graph, in llama.cpp's order and under its names.</summary>
public class Phi3Transformer : Transformer
{
    private readonly float[] _qkv;
    private readonly float[] _gateUp;
    private readonly string[] _wqkv;

    public Phi3Transformer(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options)
        : base(file, config, weights, options)
    {
        _qkv = new float[Options.MaxBatch * (Config.NEmbdQ + (2 * Config.NEmbdKv))];
        _gateUp = new float[Options.MaxBatch * 2 * Config.NFf];
        _wqkv = TraceNames.PerLayer("wqkv", Config.NLayer);
    }

    /// <summary>Where Q, K and V start in each row of the fused projection's output: Q, then K, then V.</summary>
    protected virtual (int Q, int K, int V) QkvOffsets => (0, Config.NEmbdQ, Config.NEmbdQ + Config.NEmbdKv);

    public override ReadOnlySpan<float> Forward(ReadOnlySpan<int> tokens, ITensorSink? sink = null, bool allLogits = true)
    {
        var s = State;
        var n = tokens.Length;
        var pos0 = BeginBatch(tokens);
        var E = Config.NEmbd;
        var inpL = s.InpL.AsSpan(0, n * E);
        var cur = s.Cur.AsSpan(0, n * E);

        Embed(tokens, inpL, sink);
        for (var il = 0; il < Config.NLayer; il++)
        {
            var layer = Weights.Layers[il];
            Norm(inpL, layer.AttnNorm, cur, n, Names.Norm[il], Names.AttnNorm[il], sink);
            FusedQkv(il, layer, cur, n, sink);
            Attend(il, layer, n, pos0, sink);

            // residual (unnamed in llama.cpp's phi3 graph): the attention output plus the layer input
            var ffnInp = s.FfnInp.AsSpan(0, n * E);
            TensorPrimitives.Add(s.AttnOut.AsSpan(0, n * E), inpL, ffnInp);

            Norm(ffnInp, layer.FfnNorm, cur, n, Names.Norm[il], Names.FfnNorm[il], sink);
            FusedFeedForward(il, layer, cur, n, sink);

            TensorPrimitives.Add(s.FfnOut.AsSpan(0, n * E), ffnInp, inpL);
            Trace(sink, Names.LOut[il], "ADD", inpL, E, n);
        }

        var logits = Output(inpL, n, allLogits ? n : 1, sink);
        s.Past = pos0 + n;
        return logits;
    }

    /// <summary>
    /// The fused projection, then Q, V and K as views of its rows in llama.cpp's order: Q roped and scaled by
    /// 1/sqrt(head_dim) (a SCALE node; ggml's float multiply), V as is, K roped.
    /// </summary>
    private void FusedQkv(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, ITensorSink? sink)
    {
        var c = Config;
        int Eq = c.NEmbdQ, Ekv = c.NEmbdKv, hd = c.HeadDim, width = Eq + (2 * Ekv);
        var qkv = _qkv.AsSpan(0, n * width);
        MatMul.Compute(layer.Wqkv!.Value, cur, n, qkv);
        Trace(sink, _wqkv[il], "MUL_MAT", qkv, width, n);

        var offsets = QkvOffsets;
        var q = View(qkv, width, offsets.Q, State.Q.AsSpan(0, n * Eq), Eq, n);
        Trace(sink, Names.Qcur[il], "VIEW", q, hd, c.NHead, n);
        Rope(q, c.NHead, n);
        Trace(sink, Names.Qcur[il], "ROPE", q, hd, c.NHead, n);
        TensorPrimitives.Multiply(q, 1.0f / MathF.Sqrt(hd), q);
        Trace(sink, Names.Qcur[il], "SCALE", q, hd, c.NHead, n);

        var v = View(qkv, width, offsets.V, State.V.AsSpan(0, n * Ekv), Ekv, n);
        Trace(sink, Names.Vcur[il], "VIEW", v, hd, c.NHeadKv, n);

        var k = View(qkv, width, offsets.K, State.K.AsSpan(0, n * Ekv), Ekv, n);
        Trace(sink, Names.Kcur[il], "VIEW", k, hd, c.NHeadKv, n);
        Rope(k, c.NHeadKv, n);
        Trace(sink, Names.Kcur[il], "ROPE", k, hd, c.NHeadKv, n);
    }

    /// <summary>Columns [offset, offset + cols) of every row of <paramref name="fused"/>, packed into <paramref name="destination"/>.</summary>
    private static Span<float> View(ReadOnlySpan<float> fused, int width, int offset, Span<float> destination, int cols, int n)
    {
        for (var t = 0; t < n; t++)
        {
            fused.Slice((t * width) + offset, cols).CopyTo(destination.Slice(t * cols, cols));
        }

        return destination;
    }

    /// <summary>The fused gate-and-up projection (traced as <c>ffn_up</c>), SwiGLU of its halves (gate first), down.</summary>
    private void FusedFeedForward(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, ITensorSink? sink)
    {
        var c = Config;
        var s = State;
        var F = c.NFf;
        var gateUp = _gateUp.AsSpan(0, n * 2 * F);
        MatMul.Compute(layer.FfnGateUp!.Value, cur, n, gateUp);
        Trace(sink, Names.FfnUp[il], "MUL_MAT", gateUp, 2 * F, n);
        var gate = View(gateUp, 2 * F, 0, s.Gate.AsSpan(0, n * F), F, n);
        var up = View(gateUp, 2 * F, F, s.Up.AsSpan(0, n * F), F, n);
        var act = s.SwiGlu.AsSpan(0, n * F);
        SwiGlu.Apply(gate, up, act, F, GgmlKernels);
        Trace(sink, Names.FfnSwiglu[il], "SWIGLU", act, F, n);
        MatMul.Compute(layer.FfnDown, act, n, s.FfnOut.AsSpan(0, n * c.NEmbd));
        Trace(sink, Names.FfnOut[il], "MUL_MAT", s.FfnOut.AsSpan(0, n * c.NEmbd), c.NEmbd, n);
    }
}
