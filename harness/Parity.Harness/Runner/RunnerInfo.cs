namespace Parity.Harness.Runner;

/// <summary>
/// Which llama.cpp the runner loaded: commit (empty when unknown), ggml version and commit, variant, directory, compile
/// flags, the headers' SHA-256 (empty without headers) and where the runner's struct layout for it came from.
/// </summary>
public sealed record RunnerInfo(string LlamaCppCommit, string GgmlVersion, string GgmlCommit, string Variant, string LibraryDirectory, string SystemInfo, string HeadersSha256 = "", string Layout = "");
