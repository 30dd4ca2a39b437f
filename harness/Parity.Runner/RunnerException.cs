namespace Parity.Runner;

/// <summary>A failure the runner reports on stderr and as its exit code (see <see cref="RunnerExitCodes"/>).</summary>
internal sealed class RunnerException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
