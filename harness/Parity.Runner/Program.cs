using System.CommandLine;
using Parity.Runner.Verbs;

namespace Parity.Runner;

/// <summary>
/// parity-runner: llama.cpp as a separate process. Each verb prints one JSON object on stdout; llama.cpp's log
/// and errors go to stderr; the exit code is one of <see cref="RunnerExitCodes"/>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ParentWatch.Start();
        var root = new RootCommand("parity-runner: drives llama.cpp's libraries for the Parity harness")
        {
            RunnerGlobals.LibDir,
            RunnerGlobals.Variant,
            RunnerGlobals.Verbose,
            InfoVerb.Create(),
            TokenizeVerb.Create(),
            DetokenizeVerb.Create(),
            TokenizeBatchVerb.Create(),
            QuantizeVerb.Create(),
            DequantizeVerb.Create(),
            VecDotVerb.Create(),
            FromFloatVerb.Create(),
            LogitsVerb.Create(),
            GraphVerb.Create(),
            DumpVerb.Create(),
            BenchVerb.Create(),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"parity-runner: {error.Message}");
            }

            return RunnerExitCodes.BadInput;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (RunnerException e)
        {
            Console.Error.WriteLine($"parity-runner: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Parity.Gguf.GgufFormatException or ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"parity-runner: {e.Message}");
            return RunnerExitCodes.BadInput;
        }
    }
}
