using Parity.Gguf;

namespace Parity.Engine.Model;

/// <summary>What a <see cref="KvCacheType"/> is in ggml's terms.</summary>
public static class KvCacheTypes
{
    /// <summary>The ggml type of the cache's elements.</summary>
    public static GgmlType Ggml(this KvCacheType type) => type switch
    {
        KvCacheType.F32 => GgmlType.F32,
        KvCacheType.F16 => GgmlType.F16,
        KvCacheType.BF16 => GgmlType.BF16,
        KvCacheType.Q8_0 => GgmlType.Q8_0,
        KvCacheType.Q4_0 => GgmlType.Q4_0,
        KvCacheType.Q4_1 => GgmlType.Q4_1,
        KvCacheType.Q5_0 => GgmlType.Q5_0,
        KvCacheType.Q5_1 => GgmlType.Q5_1,
        KvCacheType.IQ4_NL => GgmlType.IQ4_NL,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a KV cache type"),
    };

    /// <summary>
    /// Whether the type is stored in quantized blocks (ggml's <c>ggml_is_quantized</c>): llama.cpp then rotates what it
    /// caches by the Walsh-Hadamard transform (its graph has the rotation for every such type and for no float type),
    /// and needs flash attention for such a V.
    /// </summary>
    public static bool IsQuantized(this KvCacheType type) => GgmlTypeInfo.Get(type.Ggml()).IsQuantized;

    /// <summary>Bytes of one cache row of <paramref name="values"/> values of a quantized type.</summary>
    public static int RowBytes(this KvCacheType type, int values) => (int)GgmlTypeInfo.Get(type.Ggml()).RowBytes(values);
}
