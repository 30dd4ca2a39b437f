namespace Parity.Harness.Engine;

/// <summary>How an external engine call failed.</summary>
public enum ExternalEngineFailure
{
    /// <summary>The command could not be started (no such program, not executable).</summary>
    CannotStart,

    /// <summary>Killed by a signal (a crash, an abort).</summary>
    Crash,

    /// <summary>No exit within the timeout; the whole process tree was killed.</summary>
    Timeout,

    /// <summary>A non-zero exit other than the protocol's refusal.</summary>
    NonZeroExit,

    /// <summary>Exit 0, but the dump or the handshake answer is not what the protocol asks for.</summary>
    InvalidOutput,
}

/// <summary>
/// An external engine that could not be tested (exit 125): names the engine, what ran and the tail of its stderr, so
/// the message says how it ended without rerunning anything.
/// </summary>
public sealed class ExternalEngineException : Exception
{
    public ExternalEngineException(ExternalEngineFailure kind, string engine, string commandLine, int? exitCode, string stderrTail, string summary, Exception? inner = null)
        : base(Format(engine, commandLine, exitCode, stderrTail, summary), inner)
    {
        Kind = kind;
        Engine = engine;
        ExitCode = exitCode;
        StderrTail = stderrTail;
    }

    public ExternalEngineException()
        : this(ExternalEngineFailure.NonZeroExit, "engine", string.Empty, null, string.Empty, "failed")
    {
    }

    public ExternalEngineException(string message)
        : this(ExternalEngineFailure.NonZeroExit, "engine", string.Empty, null, string.Empty, message)
    {
    }

    public ExternalEngineException(string message, Exception innerException)
        : this(ExternalEngineFailure.NonZeroExit, "engine", string.Empty, null, string.Empty, message, innerException)
    {
    }

    public ExternalEngineFailure Kind { get; }

    public string Engine { get; }

    public int? ExitCode { get; }

    public string StderrTail { get; }

    private static string Format(string engine, string commandLine, int? exitCode, string stderrTail, string summary)
    {
        var how = exitCode switch
        {
            null => string.Empty,
            > 128 and < 160 => $" (killed by signal {exitCode - 128}, exit code {exitCode})",
            _ => $" (exit code {exitCode})",
        };
        var tail = string.IsNullOrWhiteSpace(stderrTail) ? string.Empty : $"\n--- {engine} stderr (tail) ---\n{stderrTail.TrimEnd()}";
        return $"engine {engine}: {summary}{how}\ncommand: {commandLine}{tail}";
    }
}

/// <summary>
/// An external engine refused a request (protocol exit 3: a model, type or option it does not implement): bad input
/// for this engine, exit 2, with the engine's own reason.
/// </summary>
public sealed class EngineRefusedException : ArgumentException
{
    public EngineRefusedException(string engine, string reason)
        : base($"engine {engine} refuses the request: {reason}")
    {
        Engine = engine;
    }

    public EngineRefusedException()
        : this("engine", "refused")
    {
    }

    public EngineRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Engine = "engine";
    }

    public string Engine { get; }
}
