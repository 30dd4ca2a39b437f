using System.CommandLine;
using Parity.Harness.Runner;

namespace Parity.Cli.Commands;

/// <summary>
/// The decode options both sides share: threads, flash attention (auto unless <c>--flash-attn off</c> or <c>on</c>),
/// KV cache types (F16), repacking (on unless <c>--no-repack</c>; the engine reproduces the repacked products of every
/// weight type it reads), context. The defaults are llama.cpp's (<see cref="LlamaCppDecodeOptions.LlamaCppDefaults"/>).
/// </summary>
public sealed class DecodeOptionSet
{
    public Option<int> Threads { get; } = new Option<int>("--threads") { Description = "Threads", DefaultValueFactory = _ => 2 }.AtLeast(1);

    public Option<string> FlashAttn { get; } = new("--flash-attn") { Description = "Flash attention on both sides: auto (default, as llama.cpp's: it resolves to on on a CPU, where every op is supported; one FLASH_ATTN_EXT node per layer, which the engine computes as ggml-cpu's one-chunk, split-KV and tiled paths do), on, or off (the kq, kq_soft_max and kqv nodes)", DefaultValueFactory = _ => "auto" };

    public Option<string> CacheTypeK { get; } = new("--cache-type-k") { Description = "KV cache K type: f16 (llama.cpp's default), f32, bf16, q8_0, q4_0, q4_1, q5_0, q5_1 or iq4_nl (a quantized K is rotated by the Walsh-Hadamard transform before caching, as llama.cpp does)", DefaultValueFactory = _ => "f16" };

    public Option<string> CacheTypeV { get; } = new("--cache-type-v") { Description = "KV cache V type, as --cache-type-k; a quantized V needs flash attention (llama.cpp refuses it with --flash-attn off)", DefaultValueFactory = _ => "f16" };

    public Option<bool> Repack { get; } = new("--repack") { Description = "Let llama.cpp repack weights for its CPU kernels (Q4_0, Q4_K, IQ4_NL; Q2_K in the AVX-512 library), as llama.cpp does by default, and the engine multiply as llama.cpp then does (the default)" };

    public Option<bool> NoRepack { get; } = new("--no-repack") { Description = "Keep weights in ggml's plain layout (llama.cpp's vec_dot and tinyBLAS kernels)" };

    public Option<string> Numerics { get; } = new("--numerics") { Description = "Engine numerics: ggml (round activations as llama.cpp's CPU backend does; default) or f32 (compute in float)", DefaultValueFactory = _ => "ggml" };

    public Option<int> Ctx { get; } = new Option<int>("--ctx") { Description = "Context size for both sides (default: the positions the prompt and steps need, padded to 256; they must fit the model's trained context unless --ctx is given)", DefaultValueFactory = _ => 0 }.AtLeast(0);

    public Option<long> MaxDumpSize { get; } = new("--max-dump-size")
    {
        Description = "Refuse before any work when the dumps are estimated to exceed this (bytes, or 500MB, 8GB; default 4GB)",
        DefaultValueFactory = _ => RunLimits.DefaultMaxDumpBytes,
        CustomParser = result =>
        {
            try
            {
                return RunLimits.ParseSize(result.Tokens[0].Value);
            }
            catch (FormatException e)
            {
                result.AddError($"--max-dump-size {e.Message}");
                return 0;
            }
        },
    };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        FlashAttn.AcceptOnlyFromAmong("on", "off", "auto");
        command.Options.Add(Threads);
        command.Options.Add(FlashAttn);
        command.Options.Add(CacheTypeK);
        command.Options.Add(CacheTypeV);
        command.Options.Add(Repack);
        command.Options.Add(Ctx);
        command.Options.Add(MaxDumpSize);
        command.Options.Add(NoRepack);
        command.Validators.Add(result =>
        {
            if (result.GetValue(Repack) && result.GetValue(NoRepack))
            {
                result.AddError("--repack and --no-repack: give one of them");
            }
        });
        Numerics.AcceptOnlyFromAmong("ggml", "f32");
        command.Options.Add(Numerics);
    }

    public Parity.Engine.Model.NumericsMode EngineNumerics(ParseResult parse) =>
        parse.GetValue(Numerics) == "f32" ? Parity.Engine.Model.NumericsMode.F32 : Parity.Engine.Model.NumericsMode.Ggml;

    /// <summary>Refuses a run of this shape that cannot fit (context, dump size, disk, memory) before any work starts.</summary>
    public RunEstimate CheckLimits(ParseResult parse, string model, int promptTokens, int steps, string outputDirectory, DumpSides sides = DumpSides.Both)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return RunLimits.Check(model, promptTokens, steps, outputDirectory, parse.GetValue(Ctx), parse.GetValue(MaxDumpSize), sides);
    }

    /// <param name="engine">
    /// The engine under test: <c>auto</c> resolves to on only for an engine that follows llama.cpp's flash attention
    /// (Parity's own does; an external engine says so in its capabilities), as llama.cpp's own auto turns it on only
    /// where every op supports it.
    /// </param>
    public LlamaCppDecodeOptions Read(ParseResult parse, Parity.Harness.Engine.IEngineUnderTest? engine = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new LlamaCppDecodeOptions
        {
            Threads = parse.GetValue(Threads),
            FlashAttention = parse.GetValue(FlashAttn) switch
            {
                "on" => true,
                "auto" => engine?.FollowsFlashAttention ?? true,
                _ => false,
            },
            CacheTypeK = parse.GetValue(CacheTypeK)!,
            CacheTypeV = parse.GetValue(CacheTypeV)!,
            Repack = !parse.GetValue(NoRepack),
            ContextSize = parse.GetValue(Ctx),
        };
    }
}
