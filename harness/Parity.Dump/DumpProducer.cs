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

    /// <summary>ggml's own commit as the library reports it ("unknown" in many builds of one's own).</summary>
    public string? GgmlCommit { get; init; }

    /// <summary>The CPU features the library was compiled with (<c>llama_print_system_info</c>).</summary>
    public string? CompileFlags { get; init; }

    /// <summary>SHA-256 of the build's public headers, when it has them.</summary>
    public string? HeadersSha256 { get; init; }

    /// <summary>Where the runner's struct layout for the build came from (its catalog, or a probe of the headers).</summary>
    public string? Layout { get; init; }

    /// <summary>"llama.cpp 815a2a5 (avx512, ggml 0.18.0)": the build in a phrase, for messages.</summary>
    public string Describe() =>
        $"{Name} {(Version.Length > 12 && Version.All(char.IsAsciiHexDigit) ? Version[..7] : Version)} ({LibraryVariant ?? "-"}, ggml {GgmlVersion ?? "?"}{(HeadersSha256 is { } h ? ", headers " + h[..12] : string.Empty)})";

    /// <summary>
    /// How two producers' builds differ, or null when they are the same build: the producer, its version or commit, the
    /// ggml version, the library variant and the headers, each only when both sides record it.
    /// </summary>
    public string? BuildDifference(DumpProducer other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var differences = new List<string>();
        void Compare(string what, string? a, string? b)
        {
            if (a is not null && b is not null && a != b)
            {
                differences.Add($"{what} {a} vs {b}");
            }
        }

        Compare("producer", Name, other.Name);
        Compare("version", Version, other.Version);
        Compare("ggml", GgmlVersion, other.GgmlVersion);
        Compare("variant", LibraryVariant, other.LibraryVariant);
        Compare("headers", HeadersSha256?[..12], other.HeadersSha256?[..12]);
        return differences.Count == 0 ? null : string.Join(", ", differences);
    }
}
