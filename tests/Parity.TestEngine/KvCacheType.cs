namespace Parity.TestEngine;

/// <summary>The KV cache types this engine keeps (a request's <c>options.typeK</c> and <c>typeV</c>).</summary>
internal enum KvCacheType
{
    F16,
    F32,
}
