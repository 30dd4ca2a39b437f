using System.Globalization;

namespace Parity.Harness.Runner;

/// <summary>
/// llama.cpp context settings for decoding through the runner. A new record is the plain configuration: 2 threads,
/// flash attention off (so <c>kq</c>, <c>kq_soft_max</c>, <c>kqv</c> exist), llama.cpp's default F16 KV cache,
/// weight repacking off. The CLI starts from <see cref="LlamaCppDefaults"/> instead.
/// </summary>
public sealed record LlamaCppDecodeOptions
{
    /// <summary>The plain configuration (flash attention and repacking off).</summary>
    public static LlamaCppDecodeOptions Default { get; } = new();

    /// <summary>
    /// What llama.cpp runs with default settings on a CPU: <c>flash_attn_type</c> auto, which it resolves to on (the
    /// CPU backend supports every op), weights repacked for its CPU kernels (<c>use_extra_bufts</c>), an F16 K and V
    /// cache. Parity's CLI defaults.
    /// </summary>
    public static LlamaCppDecodeOptions LlamaCppDefaults { get; } = new() { FlashAttention = true, Repack = true };

    public int Threads { get; init; } = 2;

    public bool FlashAttention { get; init; }

    public string CacheTypeK { get; init; } = "f16";

    public string CacheTypeV { get; init; } = "f16";

    public bool Repack { get; init; }

    /// <summary>Context size; 0 lets the runner take the tokens needed, padded to 256.</summary>
    public int ContextSize { get; init; }

    /// <summary>Whether an attention and weight configuration (threads and context aside) is <see cref="LlamaCppDefaults"/>'.</summary>
    public static bool IsLlamaCppDefault(bool flashAttention, bool repack, string typeK, string typeV) =>
        flashAttention == LlamaCppDefaults.FlashAttention && repack == LlamaCppDefaults.Repack
        && typeK == LlamaCppDefaults.CacheTypeK && typeV == LlamaCppDefaults.CacheTypeV;

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
