namespace Parity.Harness.Runner;

/// <summary>
/// A runner call that failed: carries the command line, the exit code or signal, and the tail of stderr, so the
/// report says what ran and how it ended without rerunning anything.
/// </summary>
public sealed class LlamaCppRunnerException : Exception
{
    public LlamaCppRunnerException(RunnerFailureKind kind, string commandLine, int? exitCode, string stderrTail, string summary, Exception? inner = null)
        : base(Format(kind, commandLine, exitCode, stderrTail, summary), inner)
    {
        Kind = kind;
        CommandLine = commandLine;
        ExitCode = exitCode;
        StderrTail = stderrTail;
    }

    public LlamaCppRunnerException()
        : this(RunnerFailureKind.NonZeroExit, string.Empty, null, string.Empty, "runner failed")
    {
    }

    public LlamaCppRunnerException(string message)
        : this(RunnerFailureKind.NonZeroExit, string.Empty, null, string.Empty, message)
    {
    }

    public LlamaCppRunnerException(string message, Exception innerException)
        : this(RunnerFailureKind.NonZeroExit, string.Empty, null, string.Empty, message, innerException)
    {
    }

    public RunnerFailureKind Kind { get; }

    public string CommandLine { get; }

    public int? ExitCode { get; }

    /// <summary>The signal that killed the runner (exit codes 129..159 are 128 + signal on Unix), if any.</summary>
    public int? Signal => ExitCode is > 128 and < 160 ? ExitCode - 128 : null;

    public string StderrTail { get; }

    private static string Format(RunnerFailureKind kind, string commandLine, int? exitCode, string stderrTail, string summary)
    {
        var how = exitCode switch
        {
            null => string.Empty,
            > 128 and < 160 => $" (killed by signal {exitCode - 128}{SignalName(exitCode.Value - 128)}, exit code {exitCode})",
            _ => $" (exit code {exitCode})",
        };
        var tail = string.IsNullOrWhiteSpace(stderrTail) ? string.Empty : $"\n--- runner stderr (tail) ---\n{stderrTail.TrimEnd()}";
        return $"llama.cpp runner {kind}: {summary}{how}\ncommand: {commandLine}{tail}";
    }

    private static string SignalName(int signal) => signal switch
    {
        4 => " SIGILL",
        6 => " SIGABRT",
        7 => " SIGBUS",
        8 => " SIGFPE",
        9 => " SIGKILL",
        11 => " SIGSEGV",
        15 => " SIGTERM",
        _ => string.Empty,
    };
}
