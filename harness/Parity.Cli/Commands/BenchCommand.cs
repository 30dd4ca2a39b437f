using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Parity.Cli.Rendering;
using Parity.Harness;
using Parity.Harness.Bench;
using Parity.Harness.Engine;
using Parity.Harness.Reports;
using Parity.Harness.Runner;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>parity bench</c>: prompt-processing and generation tokens/s of the engine and of llama.cpp on the same model and
/// threads, interleaved repetitions, with the engine/llama.cpp ratio.
/// </summary>
public static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var source = new ModelSource("Q4_K_M", "tinyllama-mini");
        var threads = OptionRules.IntList("--threads", "Thread counts, comma-separated (default 1,2)", 1, "thread counts");
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length", DefaultValueFactory = _ => 64 }.AtLeast(1);
        var genTokens = new Option<int>("--gen-tokens") { Description = "Tokens generated one at a time", DefaultValueFactory = _ => 16 }.AtLeast(1);
        var depth = new Option<int>("--depth") { Description = "Context tokens already in the cache before the prompt and generation, as llama-bench's -d (decoded once, untimed; each repetition cuts the cache back to them; 1024 shows attention's cost at depth)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var reps = new Option<int>("--reps") { Description = "Repetitions per side and thread count", DefaultValueFactory = _ => 3 }.AtLeast(1);
        var format = new Option<string>("--format") { Description = "table, json or md", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "md");
        var numerics = new Option<string>("--numerics") { Description = "Engine numerics: ggml (default; the mode parity is checked in) or f32", DefaultValueFactory = _ => "ggml" };
        numerics.AcceptOnlyFromAmong("ggml", "f32");
        var repack = new Option<bool>("--repack") { Description = "llama.cpp repacks weights for its CPU kernels, as it does by default, and the engine multiplies as it then does (the default)" };
        var noRepack = new Option<bool>("--no-repack") { Description = "Keep weights in ggml's plain layout on both sides" };
        var flashAttn = new Option<string>("--flash-attn") { Description = "Flash attention on both sides: auto (default, as llama.cpp's: resolves to on on a CPU), on, or off", DefaultValueFactory = _ => "auto" };
        flashAttn.AcceptOnlyFromAmong("off", "on", "auto");
        var command = new Command("bench", "Measure engine and llama.cpp speed side by side") { threads, promptTokens, genTokens, depth, reps, format, numerics, repack, noRepack, flashAttn };
        command.Validators.Add(result =>
        {
            if (result.GetValue(repack) && result.GetValue(noRepack))
            {
                result.AddError("--repack and --no-repack: give one of them");
            }
        });
        source.AddTo(command);
        var engines = new EngineUnderTestOptions();
        engines.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var (model, options, results, rooflines) = await ProgressDisplay.RunAsync(parse, stdout, stderr, async io =>
            {
                var model = await source.ResolveAsync(parse, io.Progress, ct).ConfigureAwait(false);
                var options = Options(parse, model);
                var engine = await engines.ResolveAsync(parse, options.Numerics, ct).ConfigureAwait(false);
                engine.CheckSupported(model);
                engine.CheckSupported(new LlamaCppDecodeOptions { FlashAttention = options.FlashAttention, Repack = options.Repack }, options.PromptTokens);
                RunLimits.CheckContext(model, options.Depth + options.PromptTokens, options.GenTokens, labels: new RunLimits.Labels($"--depth {options.Depth} + --prompt-tokens {options.PromptTokens}", $"--gen-tokens {options.GenTokens}"));
                var results = await Benchmark.RunAsync(options, CommonOptions.Runner(parse), engine, io.Progress, ct).ConfigureAwait(false);
                io.Progress.Report(WorkProgress.Started("bench: measuring memory read bandwidth"));
                var weightBytes = Roofline.WeightBytes(model);
                return (model, options with { EngineName = engine.Name }, results, options.Threads.ToDictionary(t => t, t => new Roofline(weightBytes, MemoryBandwidth.Measure(t), t)));
            }).ConfigureAwait(false);
            var weightBytes = Roofline.WeightBytes(model);
            var fileBytes = new FileInfo(model).Length;
            var inv = CultureInfo.InvariantCulture;
            if (parse.GetValue(format) == "json")
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    schemaVersion = MachineJson.SchemaVersion,
                    model = Path.GetFileName(model),
                    modelBytes = fileBytes,
                    weightBytesPerToken = weightBytes,
                    depth = options.Depth,
                    results = results.Select(r => new
                    {
                        r.Side,
                        r.Threads,
                        r.PromptTokensPerSecond,
                        r.GenTokensPerSecond,
                        r.PromptMedian,
                        r.GenMedian,
                        firstTokenMs = r.FirstTokenMs,
                        peakRssBytes = r.PeakRssBytes,
                        rooflineTokensPerSecond = rooflines[r.Threads].TokensPerSecond,
                        bandwidthBytesPerSecond = rooflines[r.Threads].BandwidthBytesPerSecond,
                    }),
                }, MachineJson.Options)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var sep = parse.GetValue(format) == "md" ? " | " : "  ";
            await stdout.WriteLineAsync($"{Path.GetFileName(model)} ({fileBytes / 1e6:F0} MB): {options.PromptTokens}-token prompt, {options.GenTokens} generated tokens{(options.Depth > 0 ? $" at a depth of {options.Depth} context tokens" : string.Empty)}, {options.Reps} repetitions (median, min-max), engine {options.EngineName}{(options.EngineName == BuiltInEngine.EngineName ? $" (numerics {options.Numerics.ToString().ToLowerInvariant()})" : string.Empty)}, repack {(options.Repack ? "on" : "off")}, flash attention {(options.FlashAttention ? "on" : "off")}{(options.Repack && options.FlashAttention ? " (llama.cpp's defaults)" : string.Empty)}{(options.Repack || options.FlashAttention ? "; \"llama.cpp plain\" has both off" : string.Empty)}").ConfigureAwait(false);
            await stdout.WriteLineAsync(string.Join(sep, "threads", "side           ", "prompt tok/s        ", "gen tok/s           ", "first token ms", "peak RSS MB (x file)", "engine/row pp", "tg")).ConfigureAwait(false);
            foreach (var group in results.GroupBy(r => r.Threads))
            {
                var engine = group.Single(r => r.Side == "engine");
                var llama = group.Single(r => r.Side == "llama.cpp");
                foreach (var r in group)
                {
                    // Each llama.cpp row carries the engine's speed over its own; the engine's row, over llama.cpp in the same configuration.
                    var of = r == engine ? llama : r;
                    var ratio = string.Create(inv, $"{engine.PromptMedian / of.PromptMedian:F2}x{sep}{engine.GenMedian / of.GenMedian:F2}x");
                    var rss = r.PeakRssBytes > 0 ? string.Create(inv, $"{r.PeakRssBytes / 1e6,8:F0} ({(double)r.PeakRssBytes / fileBytes:F2}x)") : "       ?          ";
                    await stdout.WriteLineAsync(string.Create(inv, $"{r.Threads,7}{sep}{r.Side,-15}{sep}{r.PromptMedian,8:F1} ({r.PromptTokensPerSecond.Min(),7:F1}-{r.PromptTokensPerSecond.Max(),7:F1}){sep}{r.GenMedian,8:F1} ({r.GenTokensPerSecond.Min(),7:F1}-{r.GenTokensPerSecond.Max(),7:F1}){sep}{r.FirstTokenMs,14:F0}{sep}{rss,-20}{sep}{ratio}")).ConfigureAwait(false);
                }

                var roof = rooflines[group.Key];
                await stdout.WriteLineAsync(string.Create(inv, $"roofline, {group.Key} thread(s): {roof.BandwidthBytesPerSecond / 1e9:F1} GB/s read bandwidth / {weightBytes / 1e6:F0} MB of weights per token = {roof.TokensPerSecond:F1} tok/s; engine generation at {100 * engine.GenMedian / roof.TokensPerSecond:F0}%, llama.cpp at {100 * llama.GenMedian / roof.TokensPerSecond:F0}%")).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;

        BenchOptions Options(ParseResult parse, string model) => new()
        {
            ModelPath = model,
            Threads = parse.GivenList(threads) ?? [1, 2],
            PromptTokens = parse.GetValue(promptTokens),
            GenTokens = parse.GetValue(genTokens),
            Depth = parse.GetValue(depth),
            Reps = parse.GetValue(reps),
            Numerics = parse.GetValue(numerics) == "f32" ? Parity.Engine.Model.NumericsMode.F32 : Parity.Engine.Model.NumericsMode.Ggml,
            Repack = !parse.GetValue(noRepack),
            FlashAttention = parse.GetValue(flashAttn) is "on" or "auto",
        };
    }
}
