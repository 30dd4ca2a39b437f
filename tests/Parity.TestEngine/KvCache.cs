namespace Parity.TestEngine;

/// <summary>
/// Keys (after RoPE) and values of every position so far, per layer, stored in F16 as llama.cpp's default cache
/// stores them, so both engines attend over the same rounded keys and values.
/// </summary>
internal sealed class KvCache(LlamaConfig config, int cells)
{
    private readonly Half[][] _k = [.. Enumerable.Range(0, config.NLayer).Select(_ => new Half[cells * config.NEmbdKv])]; // [layer][cells, nEmbdKv]
    private readonly Half[][] _v = [.. Enumerable.Range(0, config.NLayer).Select(_ => new Half[cells * config.NEmbdKv])]; // [layer][cells, nEmbdKv]

    public int Cells => cells;

    /// <summary>Stores the rows of <paramref name="k"/> and <paramref name="v"/> (<c>[nEmbdKv, tokens]</c>) at cells <paramref name="first"/>...</summary>
    public void Store(int il, int first, float[] k, float[] v)
    {
        for (var i = 0; i < k.Length; i++)
        {
            _k[il][(first * config.NEmbdKv) + i] = (Half)k[i];
            _v[il][(first * config.NEmbdKv) + i] = (Half)v[i];
        }
    }

    public float K(int il, int cell, int channel) => (float)_k[il][(cell * config.NEmbdKv) + channel];

    public float V(int il, int cell, int channel) => (float)_v[il][(cell * config.NEmbdKv) + channel];
}
