namespace Parity.Dump;

/// <summary>What wrote a dump: llama.cpp through the runner, or our engine.</summary>
public sealed record DumpProducer
{
    public const string LlamaCppName = "llama.cpp";

    public const string EngineName = "parity-engine";

    /// <summary><see cref="LlamaCppName"/> or <see cref="EngineName"/>.</summary>
    public required string Name { get; init; }

    /// <summary>The llama.cpp commit, or the engine's version.</summary>
    public required string Version { get; init; }

    public string? GgmlVersion { get; init; }

    /// <summary>Which build of the native library was loaded (e.g. <c>avx512</c>); null for the engine.</summary>
    public string? LibraryVariant { get; init; }

    public string? LibraryPath { get; init; }
}
