using Parity.Engine.Kernels;

namespace Parity.Engine.Model;

/// <summary>
/// Activations and KV cache, allocated once for <see cref="EngineOptions.MaxBatch"/> tokens and
/// <see cref="EngineOptions.ContextSize"/> positions, so a forward pass allocates nothing. Layouts are row-major
/// per token, which is ggml's layout for <c>[ne0 = width, ne1 = tokens]</c>.
/// </summary>
public sealed class ModelState
{
    public ModelState(ModelConfig c, EngineOptions o)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(o);
        var b = o.MaxBatch;
        ContextSize = o.ContextSize > 0 ? o.ContextSize : c.NCtxTrain;
        InpL = new float[b * c.NEmbd];
        Cur = new float[b * c.NEmbd];
        Q = new float[b * c.NEmbdQ];
        K = new float[b * c.NEmbdKv];
        V = new float[b * c.NEmbdKv];
        Kq = new float[(long)c.NHead * b * ContextSize];
        Kqv = new float[b * c.NEmbdQ];
        KqvOut = new float[b * c.NEmbdQ];
        AttnOut = new float[b * c.NEmbd];
        FfnInp = new float[b * c.NEmbd];
        Gate = new float[b * c.NFf];
        Up = new float[b * c.NFf];
        SwiGlu = new float[b * c.NFf];
        FfnOut = new float[b * c.NEmbd];
        Logits = new float[(long)b * c.NVocab];
        RopeScratch = new float[c.NRot];
        Positions = new int[b];
        var quantizedKeys = o.QuantizedKeys;
        CheckBlocks(o.KvCache, "K", c.HeadDim);
        CheckBlocks(o.ValueType, "V", c.HeadDim);

        KeyCache = [.. Enumerable.Range(0, c.NLayer).Select(_ => quantizedKeys ? [] : new float[(long)ContextSize * c.NEmbdKv])];
        KeyBlocks = [.. Enumerable.Range(0, c.NLayer).Select(_ => quantizedKeys ? new byte[(long)ContextSize * KeyRowBytes(o.KvCache, c.NEmbdKv)] : [])];
        ValueCache = [.. Enumerable.Range(0, c.NLayer).Select(_ => new float[(long)ContextSize * c.NEmbdKv])];
    }

    public int ContextSize { get; }

    /// <summary>
    /// Refuses a quantized cache whose blocks do not divide a head, as llama.cpp does ("K cache type %s with block size
    /// %u does not divide n_embd_head_k").
    /// </summary>
    private static void CheckBlocks(KvCacheType type, string side, int headDim)
    {
        var block = Parity.Gguf.GgmlTypeInfo.Get(type.Ggml()).BlockSize;
        if (type.IsQuantized() && headDim % block != 0)
        {
            throw new ArgumentException($"a {type} {side} cache needs a head dimension that is a multiple of its block size {block}; this model's is {headDim} (llama.cpp: \"{side} cache type {type.ToString().ToLowerInvariant()} with block size {block} does not divide n_embd_head_{side.ToLowerInvariant()}={headDim}\")");
        }
    }

    public float[] InpL { get; }        // [n_tokens][n_embd] residual stream

    public float[] Cur { get; }         // [n_tokens][n_embd] normed input

    public float[] Q { get; }           // [n_tokens][n_head][head_dim]

    public float[] K { get; }           // [n_tokens][n_head_kv][head_dim]

    public float[] V { get; }           // [n_tokens][n_head_kv][head_dim]

    public float[] Kq { get; }          // [n_head][n_tokens][n_kv] scores, then probabilities

    public float[] Kqv { get; }         // [n_head][n_tokens][head_dim]

    public float[] KqvOut { get; }      // [n_tokens][n_head * head_dim] heads concatenated

    public float[] AttnOut { get; }     // [n_tokens][n_embd]

    public float[] FfnInp { get; }      // [n_tokens][n_embd]

    public float[] Gate { get; }        // [n_tokens][n_ff]

    public float[] Up { get; }          // [n_tokens][n_ff]

    public float[] SwiGlu { get; }      // [n_tokens][n_ff]

    public float[] FfnOut { get; }      // [n_tokens][n_embd]

    public float[] Logits { get; }      // [n_tokens][n_vocab]

    public float[] RopeScratch { get; } // [n_rot] cos and sin of one position

    public int[] Positions { get; }     // [n_tokens] the batch's positions (llama.cpp's inp_pos)

    public float[][] KeyCache { get; }  // [n_layer][n_ctx][n_embd_kv]; empty with a quantized K cache

    public float[][] ValueCache { get; } // [n_layer][n_ctx][n_embd_kv]

    /// <summary>Bytes of one cell's K row of <paramref name="values"/> values in a quantized K cache.</summary>
    public static int KeyRowBytes(KvCacheType type, int values) => type.RowBytes(values);

    /// <summary>A quantized K cache: [n_layer][n_ctx][n_embd_kv / 32 blocks of its type]; else empty.</summary>
    public byte[][] KeyBlocks { get; }

    /// <summary>Positions 0..<see cref="Past"/>-1 are in the cache.</summary>
    public int Past { get; set; }
}
