using System.Reflection;
using System.Text.Json.Nodes;

namespace Parity.Runner.Abi;

/// <summary>
/// The llama.cpp builds whose layouts the runner carries as data (<c>Abi/layouts/*.json</c>, embedded): each keyed by
/// what identifies that build at run time, its ggml commit (when the build knows it) or the SHA-256 of its headers.
/// A build the catalog does not know is served by probing its headers (<see cref="LayoutProbe"/>).
/// </summary>
internal static class LayoutCatalog
{
    public sealed record Entry(string Name, string LlamaCppCommit, string? GgmlCommit, string? HeadersSha256, IReadOnlyDictionary<string, int> Fields)
    {
        public LlamaLayout Layout(string? headersSha256) => new($"catalog {Name}", Fields, LlamaCppCommit, headersSha256 ?? HeadersSha256);
    }

    public static IReadOnlyList<Entry> Entries { get; } = Load();

    public static Entry? ByHeaders(string sha256) => Entries.FirstOrDefault(e => e.HeadersSha256 == sha256);

    public static Entry? ByGgmlCommit(string? ggmlCommit) =>
        string.IsNullOrEmpty(ggmlCommit) ? null : Entries.FirstOrDefault(e => e.GgmlCommit == ggmlCommit);

    private static List<Entry> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var entries = new List<Entry>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("layouts/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            var text = new StreamReader(stream).ReadToEnd();
            var root = JsonNode.Parse(text)!.AsObject();
            var match = root["match"]!.AsObject();
            entries.Add(new Entry(
                Path.GetFileNameWithoutExtension(resource),
                root["llamaCppCommit"]!.GetValue<string>(),
                match["ggmlCommit"]?.GetValue<string>(),
                match["headersSha256"]?.GetValue<string>(),
                LlamaLayout.ParseFields(text, resource)));
        }

        return entries;
    }
}
