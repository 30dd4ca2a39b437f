using System.Globalization;
using System.Numerics.Tensors;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Engine.Tracing;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// <c>general.architecture = llama</c> (llama.cpp's <c>src/models/llama.cpp</c>): Llama 1/2/3, TinyLlama, Mistral-style
/// files converted as llama. NORM RoPE with optional frequency factors (<c>rope_freqs.weight</c>, Llama 3.1+) and
/// linear scaling, RMSNorm, grouped-query attention, SwiGLU, an optional <c>output.weight</c> (tied to the token
/// embeddings when absent). Biases, experts and other RoPE scalings are refused by name.
/// </summary>
public class LlamaArchitecture : IArchitecture
{
    public virtual string Name => "llama";

    public virtual ModelConfig ReadConfig(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var h = LlamaHyperparameters.Read(file);
        var arch = h.Architecture;
        if (!TakesExperts)
        {
            Refuse(file, arch, GgufKeys.ExpertCount, v => v.AsInt64() > 0, v => $"a mixture of experts (expert_count {v.AsInt64()})");
        }

        Refuse(file, arch, GgufKeys.RopeScalingType, v => v.AsString() is not ("none" or "linear"), v => $"rope.scaling.type '{v.AsString()}' (implemented: none, linear)");
        var (headDim, valueDim) = (h.HeadDim, h.ValueDim);
        if (valueDim != headDim || h.RopeDimensionCount != headDim)
        {
            // llama.cpp's llama graph asserts n_embd_head_k == n_embd_head_v == n_rot.
            throw new InvalidDataException($"{file.Path}: {arch}.attention.key_length {headDim}, value_length {valueDim} and rope.dimension_count {h.RopeDimensionCount} must be equal for the llama architecture");
        }

        return new ModelConfig
        {
            Architecture = Name,
            NEmbd = h.EmbeddingLength,
            NLayer = h.BlockCount,
            NHead = h.HeadCount,
            NHeadKv = h.HeadCountKv,
            HeadDim = headDim,
            NFf = h.FeedForwardLength,
            NVocab = h.VocabSize,
            NCtxTrain = h.ContextLength,
            RmsEps = h.RmsEpsilon,
            RopeFreqBase = h.RopeFreqBase,
            RopeFreqScale = h.RopeFreqScale,
            NRot = h.RopeDimensionCount,
            RopeMode = RopeMode.Norm,
            AttentionScale = file.TryGetValue(GgufKeys.Arch(arch, "attention.scale"), out var scale) && scale.AsSingle() != 0 ? scale.AsSingle() : 1.0f / MathF.Sqrt(headDim),
        };
    }

    public virtual ModelWeights LoadWeights(GgufFile file, ModelConfig config, GgmlTypeTable types)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(config);
        var set = new TensorSet(file, Name, types);
        var E = config.NEmbd;
        var layers = new LayerWeights[config.NLayer];
        for (var il = 0; il < config.NLayer; il++)
        {
            layers[il] = LoadLayer(set, string.Create(CultureInfo.InvariantCulture, $"blk.{il}."), config);
        }

        var embd = set.Matrix("token_embd.weight", E, config.NVocab);
        var weights = new ModelWeights
        {
            TokenEmbd = embd,
            Layers = layers,
            OutputNorm = set.Vector("output_norm.weight", E),
            Output = set.Has("output.weight") ? set.Matrix("output.weight", E, config.NVocab) : embd,
            RopeFreqs = TakesRopeFactors && set.Has("rope_freqs.weight") ? set.Vector("rope_freqs.weight", config.NRot / 2) : null,
        };
        set.RequireAllUsed();
        return weights;
    }

    /// <summary>Whether the architecture's FFN is a mixture of experts (else <c>expert_count &gt; 0</c> is refused).</summary>
    protected virtual bool TakesExperts => false;

    /// <summary>Whether the architecture reads <c>rope_freqs.weight</c> when a file has it (llama does, for Llama 3.1+).</summary>
    protected virtual bool TakesRopeFactors => true;

    /// <summary>One block's tensors, <paramref name="p"/> being its prefix (<c>blk.N.</c>).</summary>
    protected virtual LayerWeights LoadLayer(TensorSet tensors, string p, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(config);
        int E = config.NEmbd, Eq = config.NEmbdQ, Ekv = config.NEmbdKv, F = config.NFf;
        return new LayerWeights
        {
            AttnNorm = tensors.Vector(p + "attn_norm.weight", E),
            Wq = tensors.Matrix(p + "attn_q.weight", E, Eq),
            Wk = tensors.Matrix(p + "attn_k.weight", E, Ekv),
            Wv = tensors.Matrix(p + "attn_v.weight", E, Ekv),
            Wo = tensors.Matrix(p + "attn_output.weight", Eq, E),
            FfnNorm = tensors.Vector(p + "ffn_norm.weight", E),
            FfnGate = tensors.Matrix(p + "ffn_gate.weight", E, F),
            FfnUp = tensors.Matrix(p + "ffn_up.weight", E, F),
            FfnDown = tensors.Matrix(p + "ffn_down.weight", F, E),
        };
    }

    public virtual Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options) =>
        new LlamaTransformer(file, config, weights, options);

    /// <summary>The unit's <c>arch.key</c> as a u32, null when absent (a value of another type is refused, naming the key).</summary>
    protected uint? U32(GgufFile file, string key)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.GetTyped(GgufKeys.Arch(Name, key), "a u32", GgufValueType.UInt32) is { } v ? (uint)v.Raw : null;
    }

    /// <summary>The unit's <c>arch.key</c> as an f32, null when absent.</summary>
    protected float? F32(GgufFile file, string key)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.GetTyped(GgufKeys.Arch(Name, key), "an f32", GgufValueType.Float32) is { } v ? (float)v.Raw : null;
    }

    private static void Refuse(GgufFile file, string arch, string key, Func<GgufValue, bool> unsupported, Func<GgufValue, string> what)
    {
        if (file.TryGetValue(GgufKeys.Arch(arch, key), out var v) && unsupported(v))
        {
            throw new UnsupportedModelException(file.Path, $"{what(v)} is not implemented by the engine's {arch} unit");
        }
    }
}

/// <summary>The llama graph, in llama.cpp's order and under its names.</summary>
public class LlamaTransformer(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options)
    : Transformer(file, config, weights, options)
{
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

            // attention norm, then self-attention
            Norm(inpL, layer.AttnNorm, cur, n, Names.Norm[il], Names.AttnNorm[il], sink);
            Attention(il, layer, cur, n, pos0, sink);
            TraceAttentionOutput(il, n, sink);

            // residual: ffn_inp = attn_out + inpSA
            var ffnInp = s.FfnInp.AsSpan(0, n * E);
            TensorPrimitives.Add(s.AttnOut.AsSpan(0, n * E), inpL, ffnInp);
            Trace(sink, Names.FfnInp[il], "ADD", ffnInp, E, n);

            // feed-forward norm, then SwiGLU
            Norm(ffnInp, layer.FfnNorm, cur, n, Names.Norm[il], Names.FfnNorm[il], sink);
            FeedForwardBlock(il, layer, cur, n, sink);

            // residual: l_out = ffn_out + ffn_inp, the next layer's input
            TensorPrimitives.Add(s.FfnOut.AsSpan(0, n * E), ffnInp, inpL);
            Trace(sink, Names.LOut[il], "ADD", inpL, E, n);
        }

        // output norm and LM head (for the last row only when that is all that is asked)
        var logits = Output(inpL, n, allLogits ? n : 1, sink);
        s.Past = pos0 + n;
        return logits;
    }

    /// <summary>The FFN after the FFN norm, its output in <see cref="ModelState.FfnOut"/>: SwiGLU in llama's graph.</summary>
    protected virtual void FeedForwardBlock(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, ITensorSink? sink) =>
        FeedForward(il, layer, cur, n, sink);

    /// <summary>The attention output projection's name: <c>attn_out</c> in llama's graph.</summary>
    protected virtual void TraceAttentionOutput(int il, int n, ITensorSink? sink) =>
        Trace(sink, Names.AttnOut[il], "MUL_MAT", State.AttnOut.AsSpan(0, n * Config.NEmbd), Config.NEmbd, n);
}
