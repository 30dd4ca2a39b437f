namespace Parity.TestEngine;

/// <summary>
/// Keys (after RoPE) and values of every position so far, per layer. Its type is llama.cpp's cache type the engine
/// runs against: F16 (llama.cpp's default) stores every value rounded to half precision, F32 stores it as is.
/// </summary>
internal sealed class KvCache(LlamaConfig config, int cells, KvCacheType type)
{
    private readonly float[][] _k = [.. Enumerable.Range(0, config.NLayer).Select(_ => new float[cells * config.NEmbdKv])]; // [layer][cells, nEmbdKv]
    private readonly float[][] _v = [.. Enumerable.Range(0, config.NLayer).Select(_ => new float[cells * config.NEmbdKv])]; // [layer][cells, nEmbdKv]

    /// <summary>Stores the rows of <paramref name="k"/> and <paramref name="v"/> (<c>[nEmbdKv, tokens]</c>) at cells <paramref name="first"/>...</summary>
    public void Store(int il, int first, float[] k, float[] v)
    {
        for (var i = 0; i < k.Length; i++)
        {
            _k[il][(first * config.NEmbdKv) + i] = InCacheType(k[i]);
            _v[il][(first * config.NEmbdKv) + i] = InCacheType(v[i]);
        }
    }

    public float K(int il, int cell, int channel) => _k[il][(cell * config.NEmbdKv) + channel];

    public float V(int il, int cell, int channel) => _v[il][(cell * config.NEmbdKv) + channel];

    /// <summary>
    /// The other operand of a product with the cache (Q for the scores, the probabilities for the values) as ggml's
    /// matmul sees it: converted to the cache's type, so an F16 cache's products take Q and the probabilities in F16 too.
    /// </summary>
    public float InCacheType(float x) => type == KvCacheType.F16 ? (float)(Half)x : x;
}
