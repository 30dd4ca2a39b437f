namespace Parity.TestEngine;

/// <summary>
/// The engine's command-line options: the KV cache type to keep (llama.cpp's cache type the engine is compared with;
/// the protocol's request does not carry it) and the planted bug, which shows in the version.
/// </summary>
internal sealed record EngineOptions(bool RopePairingBug, KvCacheType KvCache)
{
    public const string Name = "parity-test-engine";

    public const string Usage = "usage: Parity.TestEngine [--kv-cache f16|f32] [--bug rope-pairing] REQUEST.json";

    public string Version => RopePairingBug ? "1 (--bug rope-pairing)" : "1";

    /// <summary>ggml's spelling of the cache type, as a dump's <c>typeK</c>/<c>typeV</c>.</summary>
    public string CacheTypeName => KvCache == KvCacheType.F16 ? "f16" : "f32";

    /// <summary>The options and the request path, or null (with the reason in <paramref name="error"/>) when the arguments are not understood.</summary>
    public static (EngineOptions Options, string Request)? Parse(IReadOnlyList<string> args, out string? error)
    {
        var (bug, cache, request) = (false, KvCacheType.F16, (string?)null);
        error = null;
        for (var i = 0; i < args.Count && error is null; i++)
        {
            switch (args[i])
            {
                case "--bug" when i + 1 < args.Count && args[i + 1] == "rope-pairing":
                    bug = true;
                    i++;
                    break;
                case "--kv-cache" when i + 1 < args.Count && args[i + 1] is "f16" or "f32":
                    cache = args[++i] == "f16" ? KvCacheType.F16 : KvCacheType.F32;
                    break;
                case var a when a.StartsWith("--", StringComparison.Ordinal):
                    error = $"option '{a}' {(i + 1 < args.Count ? $"with '{args[i + 1]}' " : string.Empty)}not understood";
                    break;
                case var a when request is null:
                    request = a;
                    break;
                default:
                    error = $"one request file expected, got '{request}' and '{args[i]}'";
                    break;
            }
        }

        error ??= request is null ? "no request file given" : null;
        return error is null ? (new EngineOptions(bug, cache), request!) : null;
    }
}
