namespace Parity.Engine.Model;

/// <summary>Element type of the KV cache.</summary>
public enum KvCacheType
{
    F32,
    F16,
}
