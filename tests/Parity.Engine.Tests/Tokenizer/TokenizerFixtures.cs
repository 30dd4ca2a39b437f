using System.Security.Cryptography;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// The shared real fixtures (<c>$PARITY_FIXTURES</c>, else <c>../shared/fixtures</c> beside the repo root). Tests
/// that need one call <see cref="Require"/>: absent fixtures skip the test with the reason, a file that does not
/// match <c>SHA256SUMS</c> fails it.
/// </summary>
internal static class TokenizerFixtures
{
    public const string LlamaSpmVocab = "tokenizer/ggml-vocab-llama-spm.gguf";

    private static readonly Lazy<string?> Root = new(Locate);
    private static readonly HashSet<string> Verified = new(StringComparer.Ordinal);

    /// <summary>The fixture directory, or null when there is none (no assertion: usable while building test cases).</summary>
    public static string? Directory => Root.Value;

    /// <summary>The full path of a fixture file, checked against SHA256SUMS once per run.</summary>
    public static string Require(string relativePath)
    {
        var root = Root.Value;
        if (root is null)
        {
            Assert.Ignore($"needs the shared fixtures ({relativePath}): neither $PARITY_FIXTURES nor ../shared/fixtures beside the repo exists");
        }

        var path = Path.Combine(root!, relativePath);
        if (!File.Exists(path))
        {
            Assert.Ignore($"needs the shared fixture {path}, which is absent");
        }

        lock (Verified)
        {
            if (!Verified.Contains(relativePath))
            {
                var sums = File.ReadAllLines(Path.Combine(root!, "SHA256SUMS"))
                    .Select(l => l.Split("  ", 2))
                    .Where(p => p.Length == 2)
                    .ToDictionary(p => p[1].Trim(), p => p[0].Trim(), StringComparer.Ordinal);
                Assert.That(sums.TryGetValue(relativePath, out var expected), Is.True, $"{relativePath} is not listed in {root}/SHA256SUMS");
                var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
                Assert.That(actual, Is.EqualTo(expected), $"{path} does not match SHA256SUMS");
                Verified.Add(relativePath);
            }
        }

        return path;
    }

    /// <summary>The directory holding Parity.sln above the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parity.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Parity.sln above {AppContext.BaseDirectory}");
    }

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("PARITY_FIXTURES");
        if (!string.IsNullOrEmpty(env))
        {
            return System.IO.Directory.Exists(env) ? Path.GetFullPath(env) : null;
        }

        var candidate = Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "fixtures"));
        return System.IO.Directory.Exists(candidate) ? candidate : null;
    }
}
