using System.Security.Cryptography;

namespace Parity.Tests.Support;

/// <summary>
/// The real models and tokenizer vectors in <c>../shared/fixtures</c> (or <c>$PARITY_FIXTURES</c>). They are never
/// copied into the repo: tests that need them call <see cref="Require"/>, which skips the test with the reason
/// when the directory is absent, and fails it when a file does not match <c>SHA256SUMS</c>.
/// </summary>
internal static class SharedFixtures
{
    private static readonly Lazy<string?> Root = new(Locate);
    private static readonly Dictionary<string, bool> Verified = [];

    public static string? Directory => Root.Value;

    /// <summary>The full path of a fixture file, verified against SHA256SUMS; ignores the test when fixtures are absent.</summary>
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
            if (!Verified.ContainsKey(relativePath))
            {
                var sums = File.ReadAllLines(Path.Combine(root!, "SHA256SUMS"))
                    .Select(l => l.Split("  ", 2))
                    .Where(p => p.Length == 2)
                    .ToDictionary(p => p[1].Trim(), p => p[0].Trim(), StringComparer.Ordinal);
                Assert.That(sums.TryGetValue(relativePath, out var expected), Is.True, $"{relativePath} is not listed in {root}/SHA256SUMS");
                var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
                Assert.That(actual, Is.EqualTo(expected), $"{path} does not match SHA256SUMS");
                Verified[relativePath] = true;
            }
        }

        return path;
    }

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("PARITY_FIXTURES");
        if (!string.IsNullOrEmpty(env))
        {
            return System.IO.Directory.Exists(env) ? Path.GetFullPath(env) : null;
        }

        var repo = RepoRoot.Find();
        var candidate = Path.GetFullPath(Path.Combine(repo, "..", "shared", "fixtures"));
        return System.IO.Directory.Exists(candidate) ? candidate : null;
    }
}
