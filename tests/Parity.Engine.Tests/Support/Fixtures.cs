using System.Security.Cryptography;

namespace Parity.Engine.Tests.Support;

/// <summary>
/// The real fixtures in <c>../shared/fixtures</c> (or <c>$PARITY_FIXTURES</c>), verified against SHA256SUMS; tests
/// needing them are ignored with the reason when they are absent. Never copied into the repo.
/// </summary>
internal static class Fixtures
{
    private static readonly Lazy<string?> Root = new(Locate);

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

        var sums = File.ReadAllLines(Path.Combine(root!, "SHA256SUMS")).Select(l => l.Split("  ", 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[1].Trim(), p => p[0].Trim(), StringComparer.Ordinal);
        Assert.That(sums.TryGetValue(relativePath, out var expected) && expected == Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), Is.True, $"{path} does not match SHA256SUMS");
        return path;
    }

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("PARITY_FIXTURES");
        if (!string.IsNullOrEmpty(env))
        {
            return Directory.Exists(env) ? env : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parity.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        }

        return null;
    }
}
