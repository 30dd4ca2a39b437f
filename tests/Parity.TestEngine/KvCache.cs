namespace Parity.TestEngine;

/// <summary>
/// Keys (after RoPE) and values of every position so far, per layer, in the types llama.cpp's cache has in the
/// reference run: F16 (llama.cpp's default) stores every value rounded to half precision, F32 stores it as is.
/// </summary>
internal sealed class KvCache(LlamaConfig config, int cells, KvCacheType typeK, KvCacheType typeV)
{
    private readonly float[][] _k = [.. Enumerable.Range(0, config.NLayer).Select(_ => new float[cells * config.NEmbdKv])]; // [layer][cells, nEmbdKv]
    private readonly float[][] _v = [.. Enumerable.Range(0, config.NLayer).Select(_ => new float[cells * config.NEmbdKv])]; // [layer][cells, nEmbdKv]

    /// <summary>Stores the rows of <paramref name="k"/> and <paramref name="v"/> (<c>[nEmbdKv, tokens]</c>) at cells <paramref name="first"/>...</summary>
    public void Store(int il, int first, float[] k, float[] v)
    {
        for (var i = 0; i < k.Length; i++)
        {
            _k[il][(first * config.NEmbdKv) + i] = InKeyType(k[i]);
            _v[il][(first * config.NEmbdKv) + i] = InValueType(v[i]);
        }
    }

    public float K(int il, int cell, int channel) => _k[il][(cell * config.NEmbdKv) + channel];

    public float V(int il, int cell, int channel) => _v[il][(cell * config.NEmbdKv) + channel];

    /// <summary>
    /// A key, or Q where it meets the keys: ggml's matmul converts its other operand to the cache's type, so an F16
    /// cache's scores take Q in F16 too.
    /// </summary>
    public float InKeyType(float x) => Convert(x, typeK);

    /// <summary>A value, or a softmax probability where it meets the values (converted as Q is for the keys).</summary>
    public float InValueType(float x) => Convert(x, typeV);

    private static float Convert(float x, KvCacheType type) => type == KvCacheType.F16 ? (float)(Half)x : x;
}
