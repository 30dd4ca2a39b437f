namespace Parity.Harness.Runner;

/// <summary>Why a runner call failed.</summary>
public enum RunnerFailureKind
{
    /// <summary>The runner exited with a non-zero code of its own (llama.cpp failure, bad input).</summary>
    NonZeroExit,

    /// <summary>The runner died from a signal (segfault, abort).</summary>
    Crash,

    /// <summary>The runner ran past its timeout or was cancelled; its process tree was killed.</summary>
    Timeout,

    /// <summary>The runner exited 0 but its output is not what the protocol promises.</summary>
    MalformedOutput,

    /// <summary>llama.cpp's libraries or a system library they need cannot be loaded.</summary>
    MissingLibrary,

    /// <summary>The libraries load but have another llama.cpp version's struct layouts.</summary>
    AbiMismatch,

    /// <summary>
    /// The runner cannot serve the llama.cpp build asked for: no known layout and none readable (no headers, no C
    /// compiler), or headers lacking a field it uses. The user's to fix, so the CLI exits 2.
    /// </summary>
    UnservableAbi,

    /// <summary>The runner program itself cannot be started.</summary>
    CannotStart,
}
