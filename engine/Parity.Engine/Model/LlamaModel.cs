using System.Numerics.Tensors;
using Parity.Engine.Kernels;
using Parity.Engine.Tracing;
using Parity.Gguf;

namespace Parity.Engine.Model;

/// <summary>
/// A LLaMA-family model over a memory-mapped GGUF file. <see cref="Forward"/> reads top to bottom in llama.cpp's
/// graph order (src/models/llama.cpp), names every intermediate as llama.cpp does, and calls kernels that live in
/// <c>Kernels/</c>. Locals keep llama.cpp's names (<c>inpL</c>, <c>cur</c>, <c>il</c>) so the two read side by side.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly GgufFile _file;
    private readonly MatMul _matmul;
    private readonly TraceNames _names;
    private readonly EngineTestHooks.Mutation? _mutation = EngineTestHooks.Active;
    private readonly EngineFault _fault = EngineTestHooks.ActiveFault;

    // The attention call in flight, read by the per-head parts (set before the pool runs them).
    private readonly Action<int> _kqPart;
    private readonly Action<int> _softmaxPart;
    private readonly Action<int> _kqvPart;
    private int _attIl;
    private int _attN;
    private int _attPos0;

    // A Q8_0 K cache: the Walsh-Hadamard size applied to Q and K (0: none), Q's Q8_0 blocks for kq, and one row of
    // dequantized K per worker for the f32 numerics.
    private readonly int _keyRotation;
    private readonly Q8_0Activations _queryBlocks = new();
    private readonly float[][] _keyRows;

    private LlamaModel(GgufFile file, LlamaConfig config, LlamaWeights weights, EngineOptions options)
    {
        _file = file;
        Config = config;
        Weights = weights;
        Options = options;
        State = new LlamaState(config, options);
        _matmul = new MatMul(options.Threads, Math.Max(config.NFf, config.NEmbd), options.Numerics == NumericsMode.Ggml, options.Types);
        _names = new TraceNames(config.NLayer);
        _kqPart = KqPart;
        _softmaxPart = SoftmaxPart;
        _kqvPart = KqvPart;
        _keyRotation = options.KvCache == KvCacheType.Q8_0 ? WalshHadamard.RotationSize(config.HeadDim) : 0;
        _keyRows = [.. Enumerable.Range(0, options.Threads).Select(_ => new float[config.HeadDim])];
        if (options.KvCache == KvCacheType.Q8_0)
        {
            _queryBlocks.Prepare(options.MaxBatch * config.NHead, config.HeadDim);
        }
    }

    public LlamaConfig Config { get; }

    public LlamaWeights Weights { get; }

    public EngineOptions Options { get; }

    public LlamaState State { get; }

    public string Path => _file.Path;

    /// <summary>Bytes allocated on the engine's worker threads so far (a diagnostic for the no-allocation tests).</summary>
    internal long WorkerAllocatedBytes => _matmul.WorkerAllocatedBytes;

    public static LlamaModel Load(string path, EngineOptions? options = null)
    {
        var file = GgufFile.Open(path);
        try
        {
            var config = LlamaConfig.From(LlamaHyperparameters.Read(file));
            options ??= EngineOptions.Default;
            return new LlamaModel(file, config, LlamaWeights.Load(file, config, options.Types), options);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Forgets the KV cache: the next <see cref="Forward"/> starts at position 0.</summary>
    public void Reset() => State.Past = 0;

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions <c>Past .. Past + n - 1</c> through the model, appending their keys
    /// and values to the cache, and returns the logits of every token, [n][n_vocab] — or, with
    /// <paramref name="allLogits"/> false, of the last token only (the LM head then runs for one row, as llama.cpp's
    /// graph does when only the last output is requested).
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<int> tokens, ITensorSink? sink = null, bool allLogits = true)
    {
        var c = Config;
        var s = State;
        var n = tokens.Length;
        var pos0 = s.Past;
        if (n == 0 || n > Options.MaxBatch)
        {
            throw new ArgumentException($"a forward pass takes 1..{Options.MaxBatch} tokens, got {n}", nameof(tokens));
        }

        if (pos0 + n > s.ContextSize)
        {
            throw new ArgumentException($"positions up to {pos0 + n} exceed the context of {s.ContextSize}", nameof(tokens));
        }

        var E = c.NEmbd;
        var inpL = s.InpL.AsSpan(0, n * E);
        var cur = s.Cur.AsSpan(0, n * E);

        // token embeddings
        _matmul.GetRows(Weights.TokenEmbd, tokens, inpL);
        Trace(sink, "embd", "GET_ROWS", inpL, E, n);

        for (var il = 0; il < c.NLayer; il++)
        {
            var layer = Weights.Layers[il];

            // attention norm
            Norm(inpL, layer.AttnNorm, cur, n, _names.Norm[il], _names.AttnNorm[il], sink);

            // self-attention
            Attention(il, layer, cur, n, pos0, sink);

            // residual: ffn_inp = attn_out + inpSA
            var ffnInp = s.FfnInp.AsSpan(0, n * E);
            TensorPrimitives.Add(s.AttnOut.AsSpan(0, n * E), inpL, ffnInp);
            Trace(sink, _names.FfnInp[il], "ADD", ffnInp, E, n);

            // feed-forward norm
            Norm(ffnInp, layer.FfnNorm, cur, n, _names.Norm[il], _names.FfnNorm[il], sink);

            FeedForward(il, layer, cur, n, sink);

            // residual: l_out = ffn_out + ffn_inp, the next layer's input
            TensorPrimitives.Add(s.FfnOut.AsSpan(0, n * E), ffnInp, inpL);
            Trace(sink, _names.LOut[il], "ADD", inpL, E, n);
        }

        // output norm and LM head (for the last row only when that is all that is asked)
        var rows = allLogits ? n : 1;
        var last = inpL[((n - rows) * E)..];
        Norm(last, Weights.OutputNorm, cur, rows, "norm", "result_norm", sink);
        var logits = s.Logits.AsSpan(0, rows * c.NVocab);
        _matmul.Compute(_fault == EngineFault.LmHeadWrongMatrix ? Weights.TokenEmbd : Weights.Output, cur, rows, logits);
        Trace(sink, "result_output", "MUL_MAT", logits, c.NVocab, rows);

        s.Past = pos0 + n;
        return logits;
    }

    /// <summary>Q, K, V projections, RoPE, the KV cache write, scaled causal attention per head, output projection.</summary>
    private void Attention(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, int pos0, ITensorSink? sink)
    {
        var c = Config;
        var s = State;
        int E = c.NEmbd, Ekv = c.NEmbdKv, hd = c.HeadDim;
        var q = s.Q.AsSpan(0, n * E);
        var k = s.K.AsSpan(0, n * Ekv);
        var v = s.V.AsSpan(0, n * Ekv);
        var (ropeMode, freqBase, ropePos0) = _fault switch
        {
            EngineFault.RopeNeoxPairing => (RopeMode.Neox, c.RopeFreqBase, pos0),
            EngineFault.RopeWrongFreqBase => (c.RopeMode, 500000f, pos0),
            EngineFault.DecodePositionOffByOne when n == 1 && pos0 > 0 => (c.RopeMode, c.RopeFreqBase, pos0 + 1),
            _ => (c.RopeMode, c.RopeFreqBase, pos0),
        };

        _matmul.Compute(layer.Wq, cur, n, q);
        Trace(sink, _names.Qcur[il], "MUL_MAT", q, E, n);
        Trace(sink, _names.Qcur[il], "RESHAPE", q, hd, c.NHead, n);
        for (var t = 0; t < n; t++)
        {
            Rope.Apply(q.Slice(t * E, E), c.NHead, hd, c.NRot, ropePos0 + t, freqBase, c.RopeFreqScale, ropeMode, s.RopeScratch);
        }

        Trace(sink, _names.Qcur[il], "ROPE", q, hd, c.NHead, n);

        _matmul.Compute(layer.Wv, cur, n, v);
        Trace(sink, _names.Vcur[il], "MUL_MAT", v, Ekv, n);
        Trace(sink, _names.Vcur[il], "RESHAPE", v, hd, c.NHeadKv, n);

        _matmul.Compute(layer.Wk, cur, n, k);
        Trace(sink, _names.Kcur[il], "MUL_MAT", k, Ekv, n);
        Trace(sink, _names.Kcur[il], "RESHAPE", k, hd, c.NHeadKv, n);
        for (var t = 0; t < n; t++)
        {
            Rope.Apply(k.Slice(t * Ekv, Ekv), c.NHeadKv, hd, c.NRot, ropePos0 + t, freqBase, c.RopeFreqScale, ropeMode, s.RopeScratch);
        }

        Trace(sink, _names.Kcur[il], "ROPE", k, hd, c.NHeadKv, n);

        // A quantized K cache: llama.cpp rotates Q and K (after RoPE, unnamed nodes in its graph) so the 8-bit blocks
        // see no outlier channels; kq is unchanged in exact arithmetic.
        if (_keyRotation > 0)
        {
            WalshHadamard.Rotate(q, _keyRotation);
            WalshHadamard.Rotate(k, _keyRotation);
        }

        // KV cache write: rounded to half precision for an F16 cache (V also with a Q8_0 K), K quantized to Q8_0 blocks
        // row by row (one token's n_embd_kv values per row, as llama.cpp's SET_ROWS converts them).
        var vCache = s.ValueCache[il].AsSpan(0, (pos0 + n) * Ekv);
        v.CopyTo(vCache[(pos0 * Ekv)..]);
        if (Options.KvCache == KvCacheType.Q8_0)
        {
            var rowBytes = Q8_0RowQuantizer.RowBytes(Ekv);
            for (var t = 0; t < n; t++)
            {
                Q8_0RowQuantizer.Quantize(k.Slice(t * Ekv, Ekv), s.KeyBlocks[il].AsSpan((pos0 + t) * rowBytes, rowBytes));
            }
        }
        else
        {
            var kCache = s.KeyCache[il].AsSpan(0, (pos0 + n) * Ekv);
            k.CopyTo(kCache[(pos0 * Ekv)..]);
            if (Options.KvCache == KvCacheType.F16)
            {
                RoundToHalf(kCache[(pos0 * Ekv)..]);
            }
        }

        if (Options.KvCache is KvCacheType.F16 or KvCacheType.Q8_0)
        {
            RoundToHalf(vCache[(pos0 * Ekv)..]);
        }

        // ggml's matmuls convert the other operand to the cache type's vec_dot_type: Q to F16 before kq against an F16
        // cache, to Q8_0 blocks (one row per head and token) against a Q8_0 one; the softmax probabilities to F16
        // before kqv against F16 values.
        if (Options.KvCache == KvCacheType.F16)
        {
            RoundToHalf(q);
        }
        else if (Options.KvCache == KvCacheType.Q8_0 && Options.Numerics == NumericsMode.Ggml)
        {
            _queryBlocks.Quantize(q, n * c.NHead, hd);
        }

        // scores kq[h][t][j] = K_j . Q_t (unscaled, as ggml's kq), softmax with scale and causal mask, then P V;
        // each phase runs its heads on the worker pool, and the traces (and teacher forcing) sit between phases.
        var nKv = pos0 + n;
        var kq = s.Kq.AsSpan(0, c.NHead * n * nKv);
        var kqv = s.Kqv.AsSpan(0, c.NHead * n * hd);
        (_attIl, _attN, _attPos0) = (il, n, pos0);
        _matmul.Pool.Run(_kqPart);
        Trace(sink, _names.Kq[il], "MUL_MAT", kq, nKv, n, c.NHead);
        _matmul.Pool.Run(_softmaxPart);
        Trace(sink, _names.KqSoftMax[il], "SOFT_MAX", kq, nKv, n, c.NHead);
        _matmul.Pool.Run(_kqvPart);
        Trace(sink, _names.Kqv[il], "MUL_MAT", kqv, hd, n, c.NHead);

        // heads back side by side: kqv_out[t][h * hd + d]
        var kqvOut = s.KqvOut.AsSpan(0, n * E);
        for (var h = 0; h < c.NHead; h++)
        {
            for (var t = 0; t < n; t++)
            {
                kqv.Slice(((h * n) + t) * hd, hd).CopyTo(kqvOut.Slice((t * E) + (h * hd), hd));
            }
        }

        Trace(sink, _names.KqvOut[il], "CONT", kqvOut, E, n);
        _matmul.Compute(layer.Wo, kqvOut, n, s.AttnOut.AsSpan(0, n * E));
        Trace(sink, _names.AttnOut[il], "MUL_MAT", s.AttnOut.AsSpan(0, n * E), E, n);
    }

    /// <summary>Heads [h0, h1) of this part: the heads split evenly over the pool's parts.</summary>
    private (int H0, int H1) Heads(int part)
    {
        var heads = Config.NHead;
        var chunk = (heads + _matmul.Threads - 1) / _matmul.Threads;
        var h0 = Math.Min(heads, part * chunk);
        return (h0, Math.Min(heads, h0 + chunk));
    }

    /// <summary>The KV head that query head <paramref name="h"/> reads (grouped-query attention).</summary>
    private int KvHead(int h) => _fault == EngineFault.GqaModuloMapping ? h % Config.NHeadKv : h / Config.Group;

    /// <summary>kq for this part's heads: each row of scores from the (F16-rounded) query and the cached keys.</summary>
    private void KqPart(int part)
    {
        var (h0, h1) = Heads(part);
        if (Options.KvCache == KvCacheType.Q8_0)
        {
            KqQ8_0(part, h0, h1);
            return;
        }

        var c = Config;
        var s = State;
        int E = c.NEmbd, Ekv = c.NEmbdKv, hd = c.HeadDim, n = _attN, nKv = _attPos0 + _attN;
        var halfCache = Options.KvCache == KvCacheType.F16;
        var ggmlAttention = Options.Numerics == NumericsMode.Ggml;
        var q = s.Q.AsSpan(0, n * E);
        var kq = s.Kq.AsSpan(0, c.NHead * n * nKv);
        var kCache = s.KeyCache[_attIl].AsSpan(0, nKv * Ekv);
        for (var h = h0; h < h1; h++)
        {
            var kvh = KvHead(h);
            for (var t = 0; t < n; t++)
            {
                var qh = q.Slice((t * E) + (h * hd), hd);
                var row = kq.Slice(((h * n) + t) * nKv, nKv);
                for (var j = 0; j < nKv; j++)
                {
                    var kj = kCache.Slice((j * Ekv) + (kvh * hd), hd);

                    // ggml numerics: llama.cpp's own order (tinyBLAS for a batch, vec_dot_f16 or vec_dot_f32 for one token).
                    // tinyBLAS refuses head_dim % 16 != 0; vec_dot_f16 over head_dim has a double tail past the last 64.
                    // An F32 cache never reaches tinyBLAS for kq: q is a permuted view and needs no conversion, so
                    // llamafile_sgemm is never tried and every token takes vec_dot_f32.
                    row[j] = !ggmlAttention ? TensorPrimitives.Dot(kj, qh)
                        : !halfCache ? FloatDot.F32(kj, qh)
                        : n > 1 && hd % 16 == 0 ? F16Dot.TinyBlas(kj, 1, qh, hd)
                        : FloatDot.F16(kj, qh);
                }
            }
        }
    }

    /// <summary>
    /// kq against a Q8_0 K cache: ggml's <c>vec_dot_q8_0_q8_0</c> of each cached key head with the query head in Q8_0
    /// blocks (tinyBLAS's Q8_0 tiles, used for a batch, sum in the same order); in f32 numerics, the dequantized key
    /// against the unquantized query.
    /// </summary>
    private void KqQ8_0(int part, int h0, int h1)
    {
        var c = Config;
        int E = c.NEmbd, hd = c.HeadDim, n = _attN, nKv = _attPos0 + _attN;
        var kq = State.Kq.AsSpan(0, c.NHead * n * nKv);
        var q = State.Q.AsSpan(0, n * E);
        var keys = State.KeyBlocks[_attIl];
        var rowBytes = Q8_0RowQuantizer.RowBytes(c.NEmbdKv);
        var headBytes = Q8_0RowQuantizer.RowBytes(hd);
        var keyRow = _keyRows[part];
        var ggml = Options.Numerics == NumericsMode.Ggml;
        for (var h = h0; h < h1; h++)
        {
            var kvh = KvHead(h);
            for (var t = 0; t < n; t++)
            {
                var row = kq.Slice(((h * n) + t) * nKv, nKv);
                var qRow = (t * c.NHead) + h;
                for (var j = 0; j < nKv; j++)
                {
                    var key = keys.AsSpan((j * rowBytes) + (kvh * headBytes), headBytes);
                    if (ggml)
                    {
                        row[j] = Q8_0Dot.Row(GgmlType.Q8_0, key, _queryBlocks.Quants(qRow, hd), _queryBlocks.Scales(qRow, hd));
                    }
                    else
                    {
                        Dequantize.Row(GgmlType.Q8_0, key, keyRow);
                        row[j] = TensorPrimitives.Dot(keyRow, q.Slice((t * E) + (h * hd), hd));
                    }
                }
            }
        }
    }

    /// <summary>The masked, scaled softmax of this part's heads, in place.</summary>
    private void SoftmaxPart(int part)
    {
        var c = Config;
        int n = _attN, pos0 = _attPos0, nKv = _attPos0 + _attN;
        var kq = State.Kq.AsSpan(0, c.NHead * n * nKv);
        var scale = _fault == EngineFault.SoftmaxScaleMissing ? 1.0f : 1.0f / MathF.Sqrt(c.HeadDim);
        var (h0, h1) = Heads(part);
        for (var h = h0; h < h1; h++)
        {
            for (var t = 0; t < n; t++)
            {
                var row = kq.Slice(((h * n) + t) * nKv, nKv);
                Softmax.MaskedRow(row, scale, _fault == EngineFault.CausalMaskOffByOne ? Math.Min(nKv, pos0 + t + 2) : pos0 + t + 1, row, Options.Numerics == NumericsMode.Ggml);
            }
        }
    }

    /// <summary>kqv for this part's heads: the probabilities (rounded to F16 with an F16 cache) times the cached values.</summary>
    private void KqvPart(int part)
    {
        var c = Config;
        var s = State;
        int Ekv = c.NEmbdKv, hd = c.HeadDim, n = _attN, pos0 = _attPos0, nKv = _attPos0 + _attN;
        var kq = s.Kq.AsSpan(0, c.NHead * n * nKv);
        var kqv = s.Kqv.AsSpan(0, c.NHead * n * hd);
        var vCache = s.ValueCache[_attIl].AsSpan(0, nKv * Ekv);
        var (h0, h1) = Heads(part);
        if (Options.KvCache is KvCacheType.F16 or KvCacheType.Q8_0)
        {
            RoundToHalf(kq[(h0 * n * nKv)..(h1 * n * nKv)]);
        }

        for (var h = h0; h < h1; h++)
        {
            var kvh = KvHead(h);
            for (var t = 0; t < n; t++)
            {
                var p = kq.Slice(((h * n) + t) * nKv, nKv);
                var o = kqv.Slice(((h * n) + t) * hd, hd);
                if (Options.Numerics == NumericsMode.Ggml)
                {
                    // kqv[d] = Σ_j V[j][d]·P[j] over the attended cells, in llama.cpp's order (V read with stride Ekv).
                    for (var d = 0; d < hd; d++)
                    {
                        var column = vCache[((kvh * hd) + d)..];
                        o[d] = n > 1 ? F16Dot.TinyBlas(column, Ekv, p, pos0 + t + 1) : F16Dot.VecDot(column, Ekv, p, pos0 + t + 1);
                    }

                    continue;
                }

                o.Clear();
                for (var j = 0; j <= pos0 + t; j++)
                {
                    TensorPrimitives.MultiplyAdd(vCache.Slice((j * Ekv) + (kvh * hd), hd), p[j], o, o);
                }
            }
        }
    }

    /// <summary>RMSNorm of every token, then the weight multiply: two nodes in llama.cpp's graph, traced as such.</summary>
    private void Norm(ReadOnlySpan<float> x, float[] weight, Span<float> cur, int n, string normName, string mulName, ITensorSink? sink)
    {
        var E = Config.NEmbd;
        for (var t = 0; t < n; t++)
        {
            RmsNorm.Normalize(x.Slice(t * E, E), _fault == EngineFault.RmsEpsTenTimes ? Config.RmsEps * 10 : Config.RmsEps, cur.Slice(t * E, E));
        }

        Trace(sink, normName, "RMS_NORM", cur, E, n);
        for (var t = 0; t < n; t++)
        {
            RmsNorm.MultiplyByWeight(cur.Slice(t * E, E), weight, cur.Slice(t * E, E));
        }

        Trace(sink, mulName, "MUL", cur, E, n);
    }

    /// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
    private void FeedForward(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, ITensorSink? sink)
    {
        var c = Config;
        var s = State;
        var gate = s.Gate.AsSpan(0, n * c.NFf);
        var up = s.Up.AsSpan(0, n * c.NFf);
        var act = s.SwiGlu.AsSpan(0, n * c.NFf);
        var swapped = _fault == EngineFault.GateUpSwapped;
        _matmul.Compute(swapped ? layer.FfnUp : layer.FfnGate, cur, n, gate);
        Trace(sink, _names.FfnGate[il], "MUL_MAT", gate, c.NFf, n);
        _matmul.Compute(swapped ? layer.FfnGate : layer.FfnUp, cur, n, up);
        Trace(sink, _names.FfnUp[il], "MUL_MAT", up, c.NFf, n);
        SwiGlu.Apply(gate, up, act, c.NFf, Options.Numerics == NumericsMode.Ggml);
        Trace(sink, _names.FfnSwiglu[il], "SWIGLU", act, c.NFf, n);
        _matmul.Compute(layer.FfnDown, act, n, s.FfnOut.AsSpan(0, n * c.NEmbd));
        Trace(sink, _names.FfnOut[il], "MUL_MAT", s.FfnOut.AsSpan(0, n * c.NEmbd), c.NEmbd, n);
    }

    private static void RoundToHalf(Span<float> values) => HalfRounding.Round(values, values);

    private void Trace(ITensorSink? sink, string name, string op, Span<float> data, long ne0, long ne1, long ne2 = 1)
    {
        if (sink is null && _mutation is null)
        {
            return;
        }

        Span<long> ne = [ne0, ne1, ne2, 1];
        var values = data[..(int)(ne0 * ne1 * ne2)];
        _mutation?.Invoke(name, op, values, ne);
        if (sink is not null && sink.Wants(name))
        {
            sink.Tensor(name, op, values, ne);

            // Teacher forcing: the sink may put the reference's values here, so every later op runs on them.
            sink.Replace(name, op, values, ne);
        }
    }

    public void Dispose()
    {
        _matmul.Dispose();
        _file.Dispose();
    }
}
