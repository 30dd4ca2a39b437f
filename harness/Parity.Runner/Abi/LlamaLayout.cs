using System.Text.Json;
using System.Text.Json.Nodes;

namespace Parity.Runner.Abi;

/// <summary>
/// Where the fields parity-runner uses sit in one llama.cpp build's structs: <c>sizeof(S)</c> and <c>S.field</c>
/// byte offsets, keyed as the layout probe (<c>layout-probe.c</c>) prints them. A layout comes from the runner's
/// catalog of known builds or from compiling the probe against a build's own headers (<see cref="LayoutResolver"/>).
/// </summary>
internal sealed class LlamaLayout
{
    private readonly Dictionary<string, int> _fields;

    public LlamaLayout(string source, IReadOnlyDictionary<string, int> fields, string? llamaCppCommit = null, string? headersSha256 = null)
    {
        Source = source;
        _fields = new Dictionary<string, int>(fields, StringComparer.Ordinal);
        LlamaCppCommit = llamaCppCommit;
        HeadersSha256 = headersSha256;
    }

    /// <summary>The layout in use; set once at start-up, before any struct is read.</summary>
    public static LlamaLayout Current { get; set; } = null!;

    /// <summary>Where the layout came from: "catalog 815a2a5", "headers probe (cached)", ...</summary>
    public string Source { get; }

    /// <summary>The llama.cpp commit the layout belongs to, when the catalog knows it.</summary>
    public string? LlamaCppCommit { get; }

    /// <summary>SHA-256 of the build's public headers, when the build has them.</summary>
    public string? HeadersSha256 { get; }

    public IReadOnlyDictionary<string, int> Fields => _fields;

    public bool Has(string field) => _fields.ContainsKey(field);

    /// <summary>The byte offset of <paramref name="field"/> ("llama_model_params.vocab_only").</summary>
    public int Offset(string field) =>
        _fields.TryGetValue(field, out var offset) ? offset : throw new RunnerException(RunnerExitCodes.UnservableAbi, $"the llama.cpp layout ({Source}) has no field {field}");

    public int SizeOf(string structName) => Offset($"sizeof({structName})");

    public LlamaLayout With(string source, string? llamaCppCommit, string? headersSha256) => new(source, _fields, llamaCppCommit, headersSha256);

    /// <summary>Reads the probe's JSON (<c>{"probe": 1, "fields": {"name": offset, ...}}</c>), naming what is wrong.</summary>
    public static IReadOnlyDictionary<string, int> ParseFields(string json, string origin)
    {
        try
        {
            var fields = (JsonNode.Parse(json) as JsonObject)?["fields"] as JsonObject
                ?? throw new RunnerException(RunnerExitCodes.UnservableAbi, $"{origin}: no \"fields\" object");
            return fields.ToDictionary(f => f.Key, f => f.Value?.GetValue<int>() is { } v and >= 0 ? v : throw new RunnerException(RunnerExitCodes.UnservableAbi, $"{origin}: field {f.Key} is not a non-negative integer"), StringComparer.Ordinal);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new RunnerException(RunnerExitCodes.UnservableAbi, $"{origin}: not a layout ({e.Message})");
        }
    }
}
