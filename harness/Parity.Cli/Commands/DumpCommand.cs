using System.CommandLine;
using System.Globalization;
using Parity.Cli.Rendering;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Engine.Tokenizer;
using Parity.Harness;
using Parity.Harness.Engine;
using Parity.Harness.Runner;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>parity dump --side llama.cpp|engine</c>: every intermediate tensor of one side's forward pass (and of each
/// greedy step) as a Parity dump (docs/dump-format.md).
/// </summary>
public static class DumpCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var side = new Option<string>("--side") { Description = "Which side to dump: llama.cpp or engine", Required = true };
        side.AcceptOnlyFromAmong("llama.cpp", "engine");
        var source = new ModelSource();
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (each side tokenizes it with its own tokenizer)" };
        var tokens = OptionRules.IntList("--tokens", "Prompt token ids, comma-separated (instead of --prompt)", 0, "token ids");
        var noBos = new Option<bool>("--no-bos") { Description = "Do not add BOS when tokenizing --prompt" };
        var noParseSpecial = new Option<bool>("--no-parse-special") { Description = "Treat </s> etc. in --prompt as plain text" };
        var output = new Option<string>("--out") { Description = "Run directory to write (replaced if it exists)", Required = true }.Expecting("a run directory to write");
        var steps = new Option<int>("--steps") { Description = "Greedy single-token steps after the prompt, one dump each", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var filter = new Option<string?>("--filter") { Description = "Only tensors whose name matches this regular expression" }.RegularExpression();
        var decode = new DecodeOptionSet();
        var engines = new EngineUnderTestOptions();
        var command = new Command("dump", "Dump every intermediate tensor of llama.cpp's or the engine's forward pass")
        {
            side, prompt, tokens, noBos, noParseSpecial, output, steps, filter,
        };
        source.AddTo(command);
        decode.AddTo(command);
        engines.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var (request, result) = await ProgressDisplay.RunAsync(parse, stdout, stderr, io => DumpAsync(parse, io.Progress, ct)).ConfigureAwait(false);
            await stdout.WriteLineAsync($"wrote {result.RunDirectory}: {request.Steps + 1} step(s), prompt tokens [{string.Join(' ', result.Tokens)}], greedy tokens [{string.Join(' ', result.Generated)}]").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;

        async Task<(DumpRequest Request, DumpResult Result)> DumpAsync(ParseResult parse, IProgress<WorkProgress> progress, CancellationToken ct)
        {
            if (File.Exists(parse.GetValue(output)))
            {
                throw new ArgumentException($"--out {parse.GetValue(output)}: expected a run directory to write, but it is a file");
            }

            var llamaSide = parse.GetValue(side) == "llama.cpp";
            if (llamaSide && engines.IsExternal(parse))
            {
                throw new ArgumentException("--engine and --engine-config choose the engine side's engine: use them with --side engine");
            }

            var model = await source.ResolveAsync(parse, progress, ct).ConfigureAwait(false);
            var engine = llamaSide ? null
                : engines.IsExternal(parse) ? await engines.ResolveAsync(parse, decode.EngineNumerics(parse), ct).ConfigureAwait(false)
                : new BuiltInEngine(decode.EngineNumerics(parse), variant: EngineVariant(parse.GetValue(CommonOptions.Variant)));
            engine?.CheckSupported(model);

            var text = parse.GetValue(prompt);
            var ids = parse.GivenList(tokens);
            if ((text is null) == (ids is null))
            {
                throw new ArgumentException("give exactly one of --prompt TEXT or --tokens IDS");
            }

            if (ids is not null)
            {
                ModelSource.CheckTokenIds(model, ids);
            }

            // An external engine takes token ids: llama.cpp's, which the comparison will use.
            var promptTokens = ids ?? (engine is null or ExternalEngine
                ? await CommonOptions.Runner(parse).TokenizeAsync(model, text!, !parse.GetValue(noBos), !parse.GetValue(noParseSpecial), ct).ConfigureAwait(false)
                : Tokenizers.Load(model).Tokenize(text!, !parse.GetValue(noBos), !parse.GetValue(noParseSpecial)));
            decode.CheckLimits(parse, model, promptTokens.Length, parse.GetValue(steps), parse.GetValue(output)!, llamaSide ? DumpSides.Reference : DumpSides.Engine);

            var request = new DumpRequest
            {
                ModelPath = model,
                OutputDirectory = Path.GetFullPath(parse.GetValue(output)!),
                Prompt = text,

                // Tokenized once, above, for the limits: the runner dumps those ids rather than tokenizing again.
                Tokens = promptTokens,
                Steps = parse.GetValue(steps),
                Filter = parse.GetValue(filter),
                AddSpecial = !parse.GetValue(noBos),
                ParseSpecial = !parse.GetValue(noParseSpecial),
                Decode = decode.Read(parse, engine),
            };

            if (engine is null)
            {
                return (request, await CommonOptions.Runner(parse).DumpAsync(request, progress, ct).ConfigureAwait(false));
            }

            engine.CheckSupported(request.Decode, promptTokens.Length);
            return (request, await engine.DumpAsync(new EngineDumpCall { Request = request, Tokens = promptTokens }, progress, ct).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// The library variant the engine's ggml numerics follow in an engine-only dump: --variant where the engine
    /// reproduces it (refused by name otherwise), else the default.
    /// </summary>
    private static GgmlVariant EngineVariant(string? name)
    {
        if (name is null)
        {
            return GgmlTarget.Variants[0];
        }

        return GgmlVariants.TryParse(name, out var variant) && GgmlTarget.Variants.Contains(variant)
            ? variant
            : throw new ArgumentException($"--variant {name}: the engine's ggml numerics follow the {GgmlTarget.VariantNames} libraries only");
    }
}
