namespace Parity.Tests.Support;

/// <summary>
/// llama.cpp builds other than the packaged one, in <c>../shared/llama.cpp/&lt;commit&gt;</c> (or
/// <c>$PARITY_LLAMACPP_BUILDS/&lt;commit&gt;</c>), each a <c>lib/</c> and an <c>include/</c>, found as the fixtures are.
/// They are never copied into the repo: tests that need one call <see cref="RequireLibraries"/>, which skips the test
/// with the reason when the build is absent.
/// </summary>
internal static class SharedLlamaBuilds
{
    /// <summary>Upstream d8a24ccee (2026-06-13, ggml 0.15.1), built AVX2 without AVX-512.</summary>
    public const string D8a24cc = "d8a24cc";

    /// <summary>The build's <c>lib/</c> directory; ignores the test when the build is absent.</summary>
    public static string RequireLibraries(string commit)
    {
        var root = Locate();
        var lib = root is null ? null : Path.Combine(root, commit, "lib");
        if (lib is null || !File.Exists(Path.Combine(lib, "libllama.so")))
        {
            Assert.Ignore($"needs the shared llama.cpp build {commit}: neither $PARITY_LLAMACPP_BUILDS/{commit}/lib nor ../shared/llama.cpp/{commit}/lib beside the repo holds libllama.so");
        }

        return lib!;
    }

    /// <summary>The build's <c>include/</c> directory (beside its <c>lib/</c>).</summary>
    public static string RequireHeaders(string commit) => Path.GetFullPath(Path.Combine(RequireLibraries(commit), "..", "include"));

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("PARITY_LLAMACPP_BUILDS");
        if (!string.IsNullOrEmpty(env))
        {
            return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        }

        var candidate = Path.GetFullPath(Path.Combine(RepoRoot.Find(), "..", "shared", "llama.cpp"));
        return Directory.Exists(candidate) ? candidate : null;
    }
}
