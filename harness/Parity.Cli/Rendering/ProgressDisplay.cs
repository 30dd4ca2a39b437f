using System.CommandLine;
using Parity.Cli.Commands;
using Spectre.Console;

namespace Parity.Cli.Rendering;

/// <summary>
/// Runs a verb's work under the progress display it gets: live (Spectre.Console, on stderr) when stderr is a terminal,
/// plain lines when it is not or with <c>--quiet</c>. Stdout never carries progress. The display is gone when the
/// work returns, so the verb renders its result after it.
/// </summary>
public static class ProgressDisplay
{
    public static async Task<T> RunAsync<T>(ParseResult parse, TextWriter stdout, TextWriter stderr, Func<VerbConsole, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(work);
        var quiet = parse.GetValue(CommonOptions.Quiet);
        if (quiet || !IsTerminal(stderr))
        {
            return await work(new VerbConsole(stdout, stderr, new LineProgress(stderr, quiet))).ConfigureAwait(false);
        }

        // Spectre detects ANSI and interactivity from the process's stdout, which is often a file or a pipe here: stderr
        // is the terminal the display draws on, so say so.
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stderr),
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
        });
        return await console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                using var above = new ConsoleLineWriter(console);
                // On a pool thread: a verb's synchronous stretches (the engine's dump, the diff) must not hold the
                // thread the display is started from.
                return await Task.Run(() => work(new VerbConsole(IsTerminal(stdout) ? above : stdout, above, new LiveProgress(context)))).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    /// <summary>Only the process's own console streams can be terminals; a writer given by a test never is.</summary>
    public static bool IsTerminal(TextWriter writer) =>
        (writer == Console.Error && !Console.IsErrorRedirected) || (writer == Console.Out && !Console.IsOutputRedirected);
}
