using System.Collections.Concurrent;

namespace Parity.Harness.Graph;

/// <summary>
/// The descriptors by architecture: <c>reference-data/architectures/&lt;arch&gt;.json</c>, copied beside every program
/// that compares dumps (as the tolerance policy is). Each file is read and checked once per process.
/// </summary>
public static class GraphDescriptors
{
    /// <summary>Where the repository's <c>reference-data/architectures</c> sits beside the program.</summary>
    public const string DirectoryName = "architectures";

    private static readonly ConcurrentDictionary<string, Lazy<GraphDescriptor>> Loaded = new(StringComparer.Ordinal);

    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, DirectoryName);

    /// <summary>The descriptor of <paramref name="architecture"/> (a model's <c>general.architecture</c>).</summary>
    public static GraphDescriptor For(string architecture) => For(architecture, DefaultDirectory);

    /// <summary>The descriptor of <paramref name="architecture"/> in <paramref name="directory"/>.</summary>
    public static GraphDescriptor For(string architecture, string directory)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(directory);
        var path = Path.GetFullPath(Path.Combine(directory, architecture + ".json"));
        if (architecture.Length == 0 || architecture.IndexOfAny(['/', '\\']) >= 0 || !File.Exists(path))
        {
            var have = Available(directory);
            throw new InvalidDataException($"no graph descriptor for architecture '{architecture}' in reference-data/{DirectoryName} (have: {(have.Count == 0 ? "none" : string.Join(", ", have))}; looked in {directory})");
        }

        return Loaded.GetOrAdd(path, p => new Lazy<GraphDescriptor>(() => GraphDescriptorLoader.Load(p))).Value;
    }

    /// <summary>The descriptor of <paramref name="architecture"/>, or null when there is none (for reports that can do without).</summary>
    public static GraphDescriptor? Find(string architecture) =>
        Available(DefaultDirectory).Contains(architecture, StringComparer.Ordinal) ? For(architecture) : null;

    /// <summary>Reads and checks one descriptor file, uncached.</summary>
    public static GraphDescriptor Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return File.Exists(path) ? GraphDescriptorLoader.Load(path) : throw new FileNotFoundException($"{path}: no such graph descriptor", path);
    }

    /// <summary>The architectures <paramref name="directory"/> has descriptors for, sorted.</summary>
    public static IReadOnlyList<string> Available(string directory) =>
        Directory.Exists(directory) ? [.. Directory.EnumerateFiles(directory, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)] : [];
}
