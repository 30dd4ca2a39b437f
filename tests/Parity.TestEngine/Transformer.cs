namespace Parity.TestEngine;

/// <summary>
/// The llama forward pass over one batch of tokens, top to bottom, recording every intermediate through a
/// <see cref="Trace"/> under its transformers name with llama.cpp's <c>ne</c> (ggml order, fastest dimension first)
/// and op. Buffers are row-major: one row per token, or per (head, token) for attention.
/// </summary>
internal sealed class Transformer(LlamaConfig c, LlamaWeights w, KvCache cache, bool neoxRopeBug)
{
    /// <summary>Runs <paramref name="tokens"/> at positions nPast.. and returns the logits, <c>[nVocab, tokens]</c>.</summary>
    public float[] Forward(int[] tokens, int nPast, Trace trace)
    {
        var n = tokens.Length;
        var inpL = new float[n * c.NEmbd];
        for (var t = 0; t < n; t++)
        {
            w.TokenEmbd.AsSpan(tokens[t] * c.NEmbd, c.NEmbd).CopyTo(inpL.AsSpan(t * c.NEmbd));
        }

        trace.Record(TensorNames.Embedding, "GET_ROWS", inpL, c.NEmbd, n);
        for (var il = 0; il < c.NLayer; il++)
        {
            inpL = Layer(il, inpL, nPast, trace);
        }

        var cur = Kernels.RmsNorm(inpL, c.NEmbd, c.RmsEps);
        trace.Record(TensorNames.FinalRmsNorm, "RMS_NORM", cur, c.NEmbd, n);
        Kernels.MulRows(cur, w.OutputNorm);
        trace.Record(TensorNames.FinalNorm, "MUL", cur, c.NEmbd, n);
        var logits = Kernels.MatMul(cur, w.Output, c.NEmbd, c.NVocab);
        trace.Record(TensorNames.Logits, "MUL_MAT", logits, c.NVocab, n);
        return logits;
    }

    private float[] Layer(int il, float[] inpL, int nPast, Trace trace)
    {
        var lw = w.Layers[il];
        var n = inpL.Length / c.NEmbd;
        var cur = Kernels.RmsNorm(inpL, c.NEmbd, c.RmsEps);
        trace.Record(TensorNames.In(il, "input_layernorm.rms_norm"), "RMS_NORM", cur, c.NEmbd, n);
        Kernels.MulRows(cur, lw.AttnNorm);
        trace.Record(TensorNames.In(il, "input_layernorm"), "MUL", cur, c.NEmbd, n);

        var attnOut = Attention(il, cur, nPast, trace);
        var ffnInp = Kernels.Add(attnOut, inpL);
        trace.Record(TensorNames.In(il, "attn_residual"), "ADD", ffnInp, c.NEmbd, n);

        cur = Kernels.RmsNorm(ffnInp, c.NEmbd, c.RmsEps);
        trace.Record(TensorNames.In(il, "post_attention_layernorm.rms_norm"), "RMS_NORM", cur, c.NEmbd, n);
        Kernels.MulRows(cur, lw.FfnNorm);
        trace.Record(TensorNames.In(il, "post_attention_layernorm"), "MUL", cur, c.NEmbd, n);

        var gate = Kernels.MatMul(cur, lw.WGate, c.NEmbd, c.NFf);
        trace.Record(TensorNames.In(il, "mlp.gate_proj"), "MUL_MAT", gate, c.NFf, n);
        var up = Kernels.MatMul(cur, lw.WUp, c.NEmbd, c.NFf);
        trace.Record(TensorNames.In(il, "mlp.up_proj"), "MUL_MAT", up, c.NFf, n);
        var act = Kernels.SwiGlu(gate, up);
        trace.Record(TensorNames.In(il, "mlp.act"), "SWIGLU", act, c.NFf, n);
        var down = Kernels.MatMul(act, lw.WDown, c.NFf, c.NEmbd);
        trace.Record(TensorNames.In(il, "mlp.down_proj"), "MUL_MAT", down, c.NEmbd, n);

        var lOut = Kernels.Add(down, ffnInp);
        trace.Record(TensorNames.Layer(il), "ADD", lOut, c.NEmbd, n);
        return lOut;
    }

    /// <summary>Self-attention of the batch over the cache: projections, RoPE, scores, softmax, weighted values, output projection.</summary>
    private float[] Attention(int il, float[] cur, int nPast, Trace trace)
    {
        var lw = w.Layers[il];
        var (n, hd, nq) = (cur.Length / c.NEmbd, c.HeadDim, c.NHead * c.HeadDim);
        var positions = Enumerable.Range(nPast, n).ToArray();

        // Each projection is recorded twice, as llama.cpp records it: the matmul, then its reshape into heads.
        var q = Kernels.MatMul(cur, lw.Wq, c.NEmbd, nq);
        trace.Record(TensorNames.In(il, "self_attn.q_proj"), "MUL_MAT", q, nq, n);
        trace.Record(TensorNames.In(il, "self_attn.q_proj"), "RESHAPE", q, hd, c.NHead, n);
        var k = Kernels.MatMul(cur, lw.Wk, c.NEmbd, c.NEmbdKv);
        trace.Record(TensorNames.In(il, "self_attn.k_proj"), "MUL_MAT", k, c.NEmbdKv, n);
        trace.Record(TensorNames.In(il, "self_attn.k_proj"), "RESHAPE", k, hd, c.NHeadKv, n);
        var v = Kernels.MatMul(cur, lw.Wv, c.NEmbd, c.NEmbdKv);
        trace.Record(TensorNames.In(il, "self_attn.v_proj"), "MUL_MAT", v, c.NEmbdKv, n);
        trace.Record(TensorNames.In(il, "self_attn.v_proj"), "RESHAPE", v, hd, c.NHeadKv, n);

        Kernels.Rope(q, hd, positions, c.RopeFreqBase, neoxRopeBug);
        trace.Record(TensorNames.In(il, "self_attn.rotary_q"), "ROPE", q, hd, c.NHead, n);
        Kernels.Rope(k, hd, positions, c.RopeFreqBase, neoxRopeBug);
        trace.Record(TensorNames.In(il, "self_attn.rotary_k"), "ROPE", k, hd, c.NHeadKv, n);
        cache.Store(il, nPast, k, v);

        var nKv = nPast + n;
        var scores = Scores(il, q, n, nKv);
        trace.Record(TensorNames.In(il, "self_attn.attn_scores"), "MUL_MAT", scores, nKv, n, c.NHead);
        var probs = Kernels.SoftmaxMasked(scores, nKv, 1.0f / MathF.Sqrt(hd), row => nPast + (row % n));
        trace.Record(TensorNames.In(il, "self_attn.attn_weights"), "SOFT_MAX", probs, nKv, n, c.NHead);
        var heads = WeightedValues(il, probs, n, nKv);
        trace.Record(TensorNames.In(il, "self_attn.attn_heads"), "MUL_MAT", heads, hd, n, c.NHead);

        var merged = new float[n * nq];
        for (var h = 0; h < c.NHead; h++)
        {
            for (var t = 0; t < n; t++)
            {
                heads.AsSpan(((h * n) + t) * hd, hd).CopyTo(merged.AsSpan((t * nq) + (h * hd)));
            }
        }

        trace.Record(TensorNames.In(il, "self_attn.attn_output"), "CONT", merged, nq, n);
        var o = Kernels.MatMul(merged, lw.Wo, nq, c.NEmbd);
        trace.Record(TensorNames.In(il, "self_attn.o_proj"), "MUL_MAT", o, c.NEmbd, n);
        return o;
    }

    /// <summary>
    /// K·Q, unscaled, <c>[nKv, tokens, nHead]</c>, over every cell (the mask is the softmax's), with Q in the key cache's
    /// type as ggml's matmul takes it.
    /// </summary>
    private float[] Scores(int il, float[] q, int n, int nKv)
    {
        var (hd, group) = (c.HeadDim, c.NHead / c.NHeadKv);
        var scores = new float[nKv * n * c.NHead];
        for (var h = 0; h < c.NHead; h++)
        {
            var kvHead = h / group;
            for (var t = 0; t < n; t++)
            {
                var qh = q.AsSpan(((t * c.NHead) + h) * hd, hd);
                for (var j = 0; j < nKv; j++)
                {
                    var sum = 0f;
                    for (var d = 0; d < hd; d++)
                    {
                        sum += cache.InKeyType(qh[d]) * cache.K(il, j, (kvHead * hd) + d);
                    }

                    scores[(((h * n) + t) * nKv) + j] = sum;
                }
            }
        }

        return scores;
    }

    /// <summary>Σ_j p[j] · V[j] per head and token, <c>[headDim, tokens, nHead]</c>; the probabilities in the value cache's type, as in ggml.</summary>
    private float[] WeightedValues(int il, float[] probs, int n, int nKv)
    {
        var (hd, group) = (c.HeadDim, c.NHead / c.NHeadKv);
        var heads = new float[hd * n * c.NHead];
        for (var h = 0; h < c.NHead; h++)
        {
            var kvHead = h / group;
            for (var t = 0; t < n; t++)
            {
                var p = probs.AsSpan(((h * n) + t) * nKv, nKv);
                for (var d = 0; d < hd; d++)
                {
                    var sum = 0f;
                    for (var j = 0; j < nKv; j++)
                    {
                        sum += cache.InValueType(p[j]) * cache.V(il, j, (kvHead * hd) + d);
                    }

                    heads[(((h * n) + t) * hd) + d] = sum;
                }
            }
        }

        return heads;
    }
}
