using System.CommandLine;
using Parity.Cli.Commands;
using Parity.Gguf;

namespace Parity.Cli;

public static class Program
{
    // After Ctrl+C or SIGTERM a verb gets this long to stop on its cancellation token before the process ends anyway;
    // the runner watches its parent and stops with it.
    private static readonly TimeSpan TerminationGrace = TimeSpan.FromMilliseconds(500);

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the CLI with explicit output writers, so tests can run it in-process.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var root = new RootCommand("parity: prove an inference engine computes what llama.cpp computes, tensor by tensor")
        {
            CommonOptions.LibDir,
            CommonOptions.Variant,
            CommonOptions.CacheDir,
            CommonOptions.Quiet,
            CommonOptions.Debug,
            ModelCommand.Create(stdout, stderr),
            QuantizeCommand.Create(stdout, stderr),
            TokenizeCommand.Create(stdout),
            DumpCommand.Create(stdout, stderr),
            DiffCommand.Create(stdout, stderr),
            RunCommand.Create(stdout, stderr),
            GenerateCommand.Create(stdout, stderr),
            BenchCommand.Create(stdout, stderr),
            BisectCommand.Create(stdout, stderr),
            CheckCommand.Create(stdout, stderr),
            RegenCommand.Create(stdout, stderr),
            DriftCommand.Create(stdout, stderr),
            AcceptCommand.Create(stdout),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine($"parity: {error.Message}");
            }

            stderr.WriteLine("Run 'parity --help' for usage.");
            return ExitCodes.BadInput;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TerminationGrace });
        }
        catch (Parity.Harness.Runner.LlamaCppRunnerException e) when (e.Kind == Parity.Harness.Runner.RunnerFailureKind.UnservableAbi)
        {
            stderr.WriteLine($"parity: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Parity.Harness.Runner.LlamaCppRunnerException e)
        {
            stderr.WriteLine($"parity: {e.Message}");
            return ExitCodes.CannotTest;
        }
        catch (Parity.Harness.Engine.ExternalEngineException e)
        {
            stderr.WriteLine($"parity: {e.Message}");
            return ExitCodes.CannotTest;
        }
        catch (Parity.Dump.DumpFormatException e)
        {
            stderr.WriteLine($"parity: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is GgufFormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or KeyNotFoundException or InvalidDataException or FormatException or OverflowException or NotSupportedException or Parity.Engine.Tokenizer.VocabularyException)
        {
            // ArgumentException appends "(Parameter 'x')", which tells a CLI user nothing.
            var message = e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : e.Message;
            stderr.WriteLine($"parity: {message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A path that cannot be written (an --out naming a file or a device, a read-only place): the user's to fix.
            stderr.WriteLine($"parity: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("parity: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            // Anything else is Parity's own failure: one line, no stack unless asked, and "cannot test" so that
            // `git bisect run` skips the commit rather than blaming it.
            stderr.WriteLine($"parity: internal error ({e.GetType().Name}): {e.Message}");
            var debug = args.Contains(CommonOptions.Debug.Name) || Environment.GetEnvironmentVariable("PARITY_DEBUG") == "1";
            stderr.WriteLine(debug ? e.ToString() : "run again with --debug for the stack trace, and please report it");
            return ExitCodes.CannotTest;
        }
    }
}
