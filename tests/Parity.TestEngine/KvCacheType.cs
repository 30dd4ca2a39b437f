namespace Parity.TestEngine;

/// <summary>The KV cache types this engine keeps (<c>--kv-cache</c>), spelled as ggml spells them in a dump's options.</summary>
internal enum KvCacheType
{
    F16,
    F32,
}
