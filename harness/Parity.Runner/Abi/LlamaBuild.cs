using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Parity.Dump;
using Parity.Runner.Native;

namespace Parity.Runner.Abi;

/// <summary>
/// Which llama.cpp build the runner loaded, as every dump and <c>info</c> records it: the llama.cpp commit when known
/// (from the layout catalog), ggml's version and commit as the library reports them, the library directory, the
/// variant (the package's, or the one a build of one's own matches), its compile-time CPU features, the headers' hash
/// and where the layout came from.
/// </summary>
internal sealed record LlamaBuild(
    string? LlamaCppCommit,
    string? GgmlVersion,
    string? GgmlCommit,
    string LibraryDirectory,
    string Variant,
    bool Packaged,
    string SystemInfo,
    string? HeadersSha256,
    string LayoutSource)
{
    public static LlamaBuild Current { get; private set; } = null!;

    /// <summary>Resolves and binds the layout of the loaded libraries and records the build; called once at start-up.</summary>
    public static LlamaBuild Identify()
    {
        var directory = LlamaLibrary.Directory!;
        var ggmlVersion = Marshal.PtrToStringUTF8(LlamaApi.ggml_version());
        var ggmlCommit = Marshal.PtrToStringUTF8(LlamaApi.ggml_commit());
        var layout = LayoutResolver.Resolve(directory, ggmlCommit, ggmlVersion);
        LlamaLayout.Current = layout;
        GgmlTensor.Bind(layout);
        var systemInfo = Marshal.PtrToStringUTF8(LlamaApi.llama_print_system_info())?.Trim() ?? string.Empty;
        LlamaLibrary.SetVariantFromSystemInfo(systemInfo);
        Current = new LlamaBuild(layout.LlamaCppCommit, ggmlVersion, ggmlCommit, directory, LlamaLibrary.Variant!, LlamaLibrary.Packaged, systemInfo, layout.HeadersSha256, layout.Source);
        return Current;
    }

    /// <summary>"llama.cpp 815a2a5" or "llama.cpp (commit unknown, ggml 0.15.1)".</summary>
    public string Describe() => LlamaCppCommit is { } c ? $"llama.cpp {c[..Math.Min(7, c.Length)]}" : $"llama.cpp (commit unknown, ggml {GgmlVersion ?? "?"})";

    /// <summary>The dump's producer record: the commit as its version when known, else the ggml version and commit.</summary>
    public DumpProducer ToProducer() => new()
    {
        Name = DumpProducer.LlamaCppName,
        Version = LlamaCppCommit ?? $"unknown (ggml {GgmlVersion ?? "?"}, ggml commit {GgmlCommit ?? "?"})",
        GgmlVersion = GgmlVersion,
        GgmlCommit = GgmlCommit,
        LibraryVariant = Variant,
        LibraryPath = LibraryDirectory,
        CompileFlags = SystemInfo,
        HeadersSha256 = HeadersSha256,
        Layout = LayoutSource,
    };

    public JsonObject ToJson() => new()
    {
        ["llamaCppCommit"] = LlamaCppCommit,
        ["ggmlVersion"] = GgmlVersion,
        ["ggmlCommit"] = GgmlCommit,
        ["variant"] = Variant,
        ["packaged"] = Packaged,
        ["libraryDirectory"] = LibraryDirectory,
        ["systemInfo"] = SystemInfo,
        ["headersSha256"] = HeadersSha256,
        ["layout"] = LayoutSource,
    };
}
