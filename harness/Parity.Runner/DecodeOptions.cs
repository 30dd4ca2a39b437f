using System.CommandLine;
using Parity.Gguf;

namespace Parity.Runner;

/// <summary>
/// How a llama.cpp context is set up for decoding: the options the dump records in its manifest.
/// Defaults favour comparability: flash attention off (so kq, kq_soft_max and kqv exist as tensors), llama.cpp's
/// default F16 KV cache, weight repacking off (repacked weights use other kernels).
/// </summary>
internal sealed record DecodeOptions(int Threads, bool FlashAttention, GgmlType TypeK, GgmlType TypeV, bool Repack, int NCtx)
{
    public static readonly Option<int> ThreadsOption = new("--threads") { DefaultValueFactory = _ => 2, Description = "Threads for decoding" };
    public static readonly Option<string> FlashAttnOption = new("--flash-attn") { DefaultValueFactory = _ => "off", Description = "Flash attention: off (default) or on" };
    public static readonly Option<string> CacheTypeKOption = new("--cache-type-k") { DefaultValueFactory = _ => "f16", Description = "KV cache K type: f16 (llama.cpp's default), f32, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl" };
    public static readonly Option<string> CacheTypeVOption = new("--cache-type-v") { DefaultValueFactory = _ => "f16", Description = "KV cache V type (as --cache-type-k)" };
    public static readonly Option<bool> RepackOption = new("--repack") { Description = "Allow llama.cpp to repack weights for its CPU kernels (off by default)" };
    public static readonly Option<int> CtxOption = new("--ctx") { DefaultValueFactory = _ => 0, Description = "Context size (0: tokens needed, padded to 256)" };

    public static void AddTo(Command command)
    {
        foreach (var o in new Option[] { ThreadsOption, FlashAttnOption, CacheTypeKOption, CacheTypeVOption, RepackOption, CtxOption })
        {
            command.Options.Add(o);
        }
    }

    public static DecodeOptions From(ParseResult parse) => new(
        Threads: parse.GetValue(ThreadsOption) is var t and > 0 ? t : throw new RunnerException(RunnerExitCodes.BadInput, "--threads must be at least 1"),
        FlashAttention: parse.GetValue(FlashAttnOption) switch
        {
            "on" => true,
            "off" => false,
            var v => throw new RunnerException(RunnerExitCodes.BadInput, $"--flash-attn '{v}': expected on or off"),
        },
        TypeK: CacheType(parse.GetValue(CacheTypeKOption)!),
        TypeV: CacheType(parse.GetValue(CacheTypeVOption)!),
        Repack: parse.GetValue(RepackOption),
        NCtx: parse.GetValue(CtxOption));

    /// <summary>llama.cpp pads the context to a multiple of 256 cells; ask for that much room.</summary>
    public int ContextFor(int tokensNeeded) => NCtx > 0 ? NCtx : Math.Max(256, (tokensNeeded + 255) / 256 * 256);

    private static GgmlType CacheType(string name) => name.ToLowerInvariant() switch
    {
        "f32" => GgmlType.F32,
        "f16" => GgmlType.F16,
        "bf16" => GgmlType.BF16,
        "q8_0" => GgmlType.Q8_0,
        "q4_0" => GgmlType.Q4_0,
        "q4_1" => GgmlType.Q4_1,
        "q5_0" => GgmlType.Q5_0,
        "q5_1" => GgmlType.Q5_1,
        "iq4_nl" => GgmlType.IQ4_NL,
        _ => throw new RunnerException(RunnerExitCodes.BadInput, $"unknown KV cache type '{name}'"),
    };
}
