using System.Text.Json;
using System.Text.RegularExpressions;

namespace Parity.Harness.Compare;

/// <summary>
/// The declarative alignment rules of one architecture (a data file, <c>name-maps/&lt;arch&gt;.json</c>): which tensors
/// of one side are renamed to match the other, and which are not compared and why (ggml's internal views and copies).
/// Tensors neither paired nor ignored are reported as present on one side only, never skipped silently.
/// </summary>
public sealed record NameMap
{
    public required string Architecture { get; init; }

    /// <summary>Key of side A → key of side B.</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<IgnoreRule> Ignore { get; init; } = [];

    public static NameMap Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CompareJsonContext.Default.NameMap) ?? throw new InvalidDataException($"{path}: empty name map");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a name map ({e.Message})", e);
        }
    }

    public static NameMap ForArchitecture(string architecture)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "name-maps", architecture + ".json");
        return File.Exists(path) ? Load(path) : new NameMap { Architecture = architecture };
    }

    /// <summary>Why a tensor is not compared, or null when it should be.</summary>
    public string? IgnoreReason(string name) => Ignore.FirstOrDefault(r => Regex.IsMatch(name, r.Pattern, RegexOptions.CultureInvariant))?.Reason;

    public sealed record IgnoreRule(string Pattern, string Reason);
}
