using System.CommandLine;
using Parity.Harness.Runner;

namespace Parity.Cli.Commands;

/// <summary>The decode options both sides share: threads, flash attention, KV cache types, repacking, context.</summary>
public sealed class DecodeOptionSet
{
    public Option<int> Threads { get; } = new("--threads") { Description = "Threads", DefaultValueFactory = _ => 2 };

    public Option<string> FlashAttn { get; } = new("--flash-attn") { Description = "Flash attention on both sides: off (default; kq, kq_soft_max and kqv exist), on, or auto (llama.cpp's default, which resolves to on on a CPU: every op is supported there) (on: one FLASH_ATTN_EXT node per layer; the engine follows ggml-cpu's one-chunk and split-KV paths, and refuses a prompt of 64 or more tokens with an F16 or F32 cache, where ggml tiles)", DefaultValueFactory = _ => "off" };

    public Option<string> CacheTypeK { get; } = new("--cache-type-k") { Description = "KV cache K type: f16 (llama.cpp's default), f32, bf16, q8_0, ...", DefaultValueFactory = _ => "f16" };

    public Option<string> CacheTypeV { get; } = new("--cache-type-v") { Description = "KV cache V type", DefaultValueFactory = _ => "f16" };

    public Option<bool> Repack { get; } = new("--repack") { Description = "Let llama.cpp repack weights for its CPU kernels (off by default)" };

    public Option<string> Numerics { get; } = new("--numerics") { Description = "Engine numerics: ggml (round activations as llama.cpp's CPU backend does; default) or f32 (compute in float)", DefaultValueFactory = _ => "ggml" };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        FlashAttn.AcceptOnlyFromAmong("on", "off", "auto");
        Threads.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"--threads {result.GetValueOrDefault<int>()}: expected 1 or more");
            }
        });
        command.Options.Add(Threads);
        command.Options.Add(FlashAttn);
        command.Options.Add(CacheTypeK);
        command.Options.Add(CacheTypeV);
        command.Options.Add(Repack);
        Numerics.AcceptOnlyFromAmong("ggml", "f32");
        command.Options.Add(Numerics);
    }

    public Parity.Engine.Model.NumericsMode EngineNumerics(ParseResult parse) =>
        parse.GetValue(Numerics) == "f32" ? Parity.Engine.Model.NumericsMode.F32 : Parity.Engine.Model.NumericsMode.Ggml;

    public LlamaCppDecodeOptions Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new LlamaCppDecodeOptions
        {
            Threads = parse.GetValue(Threads),
            FlashAttention = parse.GetValue(FlashAttn) is "on" or "auto",
            CacheTypeK = parse.GetValue(CacheTypeK)!,
            CacheTypeV = parse.GetValue(CacheTypeV)!,
            Repack = parse.GetValue(Repack),
        };
    }
}
