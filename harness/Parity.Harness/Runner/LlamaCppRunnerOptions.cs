namespace Parity.Harness.Runner;

/// <summary>
/// How to start parity-runner: which program, which llama.cpp libraries, how long a call may take. Immutable; the
/// <c>With*</c> methods on <see cref="LlamaCppRunner"/> return changed copies.
/// </summary>
public sealed record LlamaCppRunnerOptions
{
    /// <summary>The runner: a <c>.dll</c> (started with <c>dotnet</c>) or an executable.</summary>
    public required string RunnerPath { get; init; }

    /// <summary>A llama.cpp build directory (libllama.so, libggml*.so); null uses the NuGet package's libraries.</summary>
    public string? LibraryDirectory { get; init; }

    /// <summary>Package library variant (avx512, avx2, avx, noavx); null picks the best the CPU supports.</summary>
    public string? Variant { get; init; }

    /// <summary>Wall-clock limit of one runner call; past it the process tree is killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Extra environment variables for the runner process.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How many trailing stderr lines an exception carries.</summary>
    public int StderrTailLines { get; init; } = 20;

    /// <summary>
    /// The runner next to this program (<c>parity-runner.dll</c> is copied beside every project that references
    /// Parity.Runner), or <c>$PARITY_RUNNER</c> when set.
    /// </summary>
    public static LlamaCppRunnerOptions Default()
    {
        var fromEnv = System.Environment.GetEnvironmentVariable("PARITY_RUNNER");
        var path = !string.IsNullOrEmpty(fromEnv) ? fromEnv : Path.Combine(AppContext.BaseDirectory, "parity-runner.dll");
        return new LlamaCppRunnerOptions
        {
            RunnerPath = path,
            LibraryDirectory = System.Environment.GetEnvironmentVariable("PARITY_LLAMA_LIB_DIR") is { Length: > 0 } dir ? dir : null,
        };
    }
}
