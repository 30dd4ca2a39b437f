using System.CommandLine;
using Parity.Cli.Rendering;
using Parity.Engine.Tokenizer;
using Parity.Harness.Compare;
using Parity.Harness.Reports;
using Spectre.Console;

namespace Parity.Cli.Commands;

/// <summary>Tolerances and report format, shared by <c>parity diff</c> and <c>parity run</c>.</summary>
public sealed class ReportOptions
{
    public Option<string?> Tolerances { get; } = new("--tolerances") { Description = "Tolerance policy file (default: the repo's reference-data/tolerances/default.json)" };

    public Option<string> Format { get; } = new("--format") { Description = "Console report: table, json or md", DefaultValueFactory = _ => "table" };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Format.AcceptOnlyFromAmong("table", "json", "md");
        command.Options.Add(Tolerances);
        command.Options.Add(Format);
    }

    public TolerancePolicy Policy(ParseResult parse) => TolerancePolicy.Load(parse.GetValue(Tolerances) ?? TolerancePolicy.DefaultPath);

    /// <summary>Writes report.csv and report.json into <paramref name="directory"/>, renders, and returns the exit code.</summary>
    public int Report(ParseResult parse, RunDiff diff, string directory, TextWriter stdout, SpmTokenizer? tokenizer)
    {
        ArgumentNullException.ThrowIfNull(diff);
        var csv = Path.Combine(directory, "report.csv");
        var json = Path.Combine(directory, "report.json");
        DiffReportFiles.WriteCsv(diff, csv);
        DiffReportFiles.WriteJson(diff, json);
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
                console.Profile.Width = Math.Max(console.Profile.Width, 140);
                DiffRenderer.Table(diff, console, tokenizer, [csv, json]);
                break;
        }

        return diff.Passed ? ExitCodes.Ok : ExitCodes.ParityBroken;
    }
}
