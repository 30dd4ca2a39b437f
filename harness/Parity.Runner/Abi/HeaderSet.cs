using System.Security.Cryptography;
using System.Text;

namespace Parity.Runner.Abi;

/// <summary>
/// A build's public headers (<c>llama.h</c> and <c>ggml*.h</c>), found beside its libraries, and their identity: the
/// SHA-256 of every <c>*.h</c> file's name and SHA-256, in ordinal name order (so the hash does not depend on
/// timestamps or directory order, and any changed header makes another layout key).
/// </summary>
internal sealed record HeaderSet(string Directory, string Sha256)
{
    /// <summary>The headers the layout probe includes.</summary>
    public static readonly string[] Required = ["llama.h", "ggml.h", "ggml-cpu.h"];

    /// <summary>Where headers are looked for, for a library directory: its sibling <c>include</c>, then its own <c>include</c>.</summary>
    public static IReadOnlyList<string> Candidates(string libraryDirectory) =>
    [
        Path.GetFullPath(Path.Combine(libraryDirectory, "..", "include")),
        Path.Combine(libraryDirectory, "include"),
    ];

    /// <summary>The first candidate directory holding <c>llama.h</c>, <c>ggml.h</c> and <c>ggml-cpu.h</c>, or null.</summary>
    public static HeaderSet? Find(string libraryDirectory)
    {
        foreach (var dir in Candidates(libraryDirectory))
        {
            if (Required.All(h => File.Exists(Path.Combine(dir, h))))
            {
                return new HeaderSet(dir, Hash(dir));
            }
        }

        return null;
    }

    public static string Hash(string directory)
    {
        var listing = new StringBuilder();
        foreach (var file in System.IO.Directory.GetFiles(directory, "*.h").OrderBy(Path.GetFileName, StringComparer.Ordinal))
        {
            listing.Append(Path.GetFileName(file)).Append('\n').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())));
    }
}
