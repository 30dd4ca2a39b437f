namespace Parity.Harness.Runner;

/// <summary>Which llama.cpp the runner loaded.</summary>
public sealed record RunnerInfo(string LlamaCppCommit, string GgmlVersion, string GgmlCommit, string Variant, string LibraryDirectory, string SystemInfo);
