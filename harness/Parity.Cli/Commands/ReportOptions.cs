using System.CommandLine;
using Parity.Cli.Rendering;
using Parity.Engine.Tokenizer;
using Parity.Harness.Compare;
using Parity.Harness.Reports;
using Parity.Harness.Reports.Html;
using Parity.Harness.Runner;
using Spectre.Console;

namespace Parity.Cli.Commands;

/// <summary>Tolerances and report format, shared by <c>parity diff</c> and <c>parity run</c>.</summary>
public sealed class ReportOptions
{
    public Option<string?> Tolerances { get; } = new("--tolerances") { Description = "Tolerance policy file (default: the repo's reference-data/tolerances/default.json)" };

    public Option<string> Format { get; } = new("--format") { Description = "Console report: table, json or md", DefaultValueFactory = _ => "table" };

    public Option<string?> Html { get; } = new Option<string?>("--html") { Description = "Where the HTML report goes (default: report.html beside report.csv and report.json)" }.Expecting("a file to write the HTML report to");

    public Option<bool> AllowInexact { get; } = new("--allow-inexact")
    {
        Description = "Judge by the tolerance rules where the engine's ggml numerics do not reproduce the reference's llama.cpp build or library variant (refused otherwise)",
    };

    public Option<bool> AllowDifferentModel { get; } = new("--allow-different-model")
    {
        Description = "Compare dumps of different model bytes (across conversions); the difference is printed",
    };

    public Option<bool> AllowDifferentConfig { get; } = new("--allow-different-config")
    {
        Description = "Compare dumps of different attention configurations (flash attention, KV cache types, repacking); the difference is printed",
    };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Format.AcceptOnlyFromAmong("table", "json", "md");
        command.Options.Add(Tolerances);
        command.Options.Add(Format);
        command.Options.Add(Html);
        command.Options.Add(AllowInexact);
        command.Options.Add(AllowDifferentModel);
        command.Options.Add(AllowDifferentConfig);
    }

    public TolerancePolicy Policy(ParseResult parse) => TolerancePolicy.Load(parse.GetValue(Tolerances) ?? TolerancePolicy.DefaultPath);

    public PairingOptions Pairing(ParseResult parse) => new(parse.GetValue(AllowDifferentModel), parse.GetValue(AllowInexact), parse.GetValue(AllowDifferentConfig));

    /// <summary>
    /// Refuses, before llama.cpp runs, an engine comparison in ggml numerics against a llama.cpp build or library
    /// variant the engine does not reproduce, unless --allow-inexact: such a pair is never judged by bounds by surprise.
    /// </summary>
    /// <param name="decode">The attention configuration, refused by name where the loaded library variant's is one the engine does not follow.</param>
    public async Task CheckExactTargetAsync(ParseResult parse, Parity.Harness.Engine.IEngineUnderTest engine, LlamaCppRunner runner, CancellationToken ct, LlamaCppDecodeOptions? decode = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        // Only Parity's own engine claims exactness, and only in ggml numerics.
        if (engine is not Parity.Harness.Engine.BuiltInEngine { Numerics: Parity.Engine.Model.NumericsMode.Ggml } || parse.GetValue(AllowInexact))
        {
            return;
        }

        var info = await runner.InfoAsync(ct).ConfigureAwait(false);
        if (!Parity.Engine.Model.GgmlTarget.Reproduces(info.LlamaCppCommit, info.Variant))
        {
            throw new ArgumentException(
                $"llama.cpp {info.LlamaCppCommit} ({info.Variant} library, {info.LibraryDirectory}): the engine's ggml numerics reproduce the llama.cpp builds {Parity.Engine.Model.GgmlTarget.BuildNames} only, so this comparison cannot be judged exact; pass --allow-inexact to judge it by the tolerance rules, or --numerics f32");
        }

        if (decode is not null && Parity.Engine.Kernels.GgmlVariants.TryParse(info.Variant, out var variant)
            && Parity.Engine.Model.GgmlTarget.ConfigurationRefusal(variant, decode.FlashAttention, info.LlamaCppCommit) is { } refusal)
        {
            throw new ArgumentException($"{refusal}; or pass --allow-inexact to judge it by the tolerance rules, or --numerics f32");
        }

        if (decode is not null && Parity.Engine.Kernels.GgmlVariants.TryParse(info.Variant, out var library)
            && Parity.Harness.Engine.EngineDumper.KvCacheRefusal(library, decode) is { } cacheRefusal)
        {
            throw new ArgumentException($"{cacheRefusal}; use another K cache type or library variant, or --numerics f32");
        }
    }

    /// <summary>
    /// Writes report.csv, report.json and report.html (or <c>--html</c>) into <paramref name="directory"/> and returns
    /// their paths; <paramref name="page"/> adds what only the verb knows to the HTML page (bisect's findings).
    /// </summary>
    public IReadOnlyList<string> WriteFiles(ParseResult parse, RunDiff diff, string directory, ITokenizer? tokenizer, Func<HtmlReportInput, HtmlReportInput>? page = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(diff);
        var csv = Path.Combine(directory, "report.csv");
        var json = Path.Combine(directory, "report.json");
        var html = parse.GetValue(Html) ?? Path.Combine(directory, "report.html");
        DiffReportFiles.WriteCsv(diff, csv);
        DiffReportFiles.WriteJson(diff, json);
        var input = new HtmlReportInput { Title = "parity " + parse.CommandResult.Command.Name, Diff = diff, Tokenizer = tokenizer, Options = GivenOptions(parse) };
        HtmlReport.Write(page is null ? input : page(input), html);
        return [csv, json, html];
    }

    /// <summary>The options given on the command line, as the page's provenance shows them.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> GivenOptions(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return [.. parse.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
            .Where(o => !o.Implicit)
            .Select(o => KeyValuePair.Create(o.Option.Name, string.Join(' ', o.Tokens.Select(t => t.Value))))];
    }

    /// <summary>Writes the report files into <paramref name="directory"/>, renders, and returns the exit code.</summary>
    public int Report(ParseResult parse, RunDiff diff, string directory, TextWriter stdout, ITokenizer? tokenizer)
    {
        ArgumentNullException.ThrowIfNull(diff);
        var files = WriteFiles(parse, diff, directory, tokenizer);
        var json = files[1];
        switch (parse.GetValue(Format))
        {
            case "json":
                stdout.Write(File.ReadAllText(json));
                stdout.WriteLine();
                break;
            case "md":
                DiffRenderer.Markdown(diff, stdout);
                break;
            default:
                var console = AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(stdout),
                    Ansi = stdout == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
                    ColorSystem = stdout == Console.Out && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                });
                // A report read by a machine or a log keeps each line whole; a terminal keeps its width, at least 140.
                console.Profile.Width = stdout == Console.Out && !Console.IsOutputRedirected ? Math.Max(console.Profile.Width, 140) : 4096;
                DiffRenderer.Table(diff, console, tokenizer, files);
                break;
        }

        return diff.Passed ? ExitCodes.Ok : ExitCodes.ParityBroken;
    }
}
