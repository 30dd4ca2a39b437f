using System.Globalization;

namespace Parity.Harness.Runner;

/// <summary>
/// llama.cpp context settings for decoding through the runner. Defaults match what a comparison needs: 2 threads,
/// flash attention off (so <c>kq</c>, <c>kq_soft_max</c>, <c>kqv</c> exist), llama.cpp's default F16 KV cache,
/// weight repacking off.
/// </summary>
public sealed record LlamaCppDecodeOptions
{
    public static LlamaCppDecodeOptions Default { get; } = new();

    public int Threads { get; init; } = 2;

    public bool FlashAttention { get; init; }

    public string CacheTypeK { get; init; } = "f16";

    public string CacheTypeV { get; init; } = "f16";

    public bool Repack { get; init; }

    /// <summary>Context size; 0 lets the runner take the tokens needed, padded to 256.</summary>
    public int ContextSize { get; init; }

    public IEnumerable<string> ToArgs()
    {
        yield return "--threads";
        yield return Threads.ToString(CultureInfo.InvariantCulture);
        yield return "--flash-attn";
        yield return FlashAttention ? "on" : "off";
        yield return "--cache-type-k";
        yield return CacheTypeK;
        yield return "--cache-type-v";
        yield return CacheTypeV;
        yield return "--ctx";
        yield return ContextSize.ToString(CultureInfo.InvariantCulture);
        if (Repack)
        {
            yield return "--repack";
        }
    }
}
