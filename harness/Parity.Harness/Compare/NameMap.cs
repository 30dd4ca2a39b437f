using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Parity.Dump;

namespace Parity.Harness.Compare;

/// <summary>
/// How a candidate's tensor names align with the reference's: rules, tried in file order, each a regular expression
/// over the candidate's tensor name (with an optional occurrence of that name) and the reference key it stands for,
/// where <c>$1</c>... are the pattern's groups (<c>model\.layers\.(\d+)\.self_attn\.q_proj</c> → <c>Qcur-$1</c>); a key
/// without <c>#k</c> keeps the occurrence of the candidate's name.
/// A name no rule matches keeps its own name, so it pairs with a reference tensor of that name or is listed as
/// only in A; nothing is dropped.
/// </summary>
public sealed class NameMap
{
    public const int FormatVersion = 1;

    private readonly List<NameRule> _rules;

    private NameMap(string source, IReadOnlyList<NameRule> rules)
    {
        Source = source;
        _rules = [.. rules];
    }

    /// <summary>Where the map came from (its file), for reports.</summary>
    public string Source { get; }

    public int RuleCount => _rules.Count;

    /// <summary>The reference key <paramref name="entry"/> stands for, or its own key when no rule matches it.</summary>
    public string KeyFor(DumpTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (Match(entry) is not var (rule, match))
        {
            return entry.Key;
        }

        // A key that names no occurrence keeps the candidate's: the k-th tensor of a name stands for the k-th.
        var key = match.Result(rule.Key);
        var hash = key.LastIndexOf(DumpFormat.OccurrenceSeparator);
        return hash >= 0 && int.TryParse(key.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var occurrence)
            ? DumpTensorNames.KeyFor(key[..hash], occurrence)
            : DumpTensorNames.KeyFor(key, entry.Occurrence);
    }

    /// <summary>The layout the matching rule declares for <paramref name="entry"/> (<see cref="TensorLayout"/>), or null.</summary>
    public TensorLayout? LayoutFor(DumpTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Match(entry)?.Rule.Layout;
    }

    /// <summary>Where a rule's layout is declared, for messages.</summary>
    public string LayoutSource(DumpTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Match(entry) is var (rule, _) ? $"{Source}: rules[{_rules.IndexOf(rule)}] ({entry.Key})" : Source;
    }

    private (NameRule Rule, Match Match)? Match(DumpTensorEntry entry)
    {
        foreach (var rule in _rules)
        {
            if (rule.Occurrence is { } k && k != entry.Occurrence)
            {
                continue;
            }

            var match = rule.Pattern.Match(entry.Name);
            if (match.Success)
            {
                return (rule, match);
            }
        }

        return null;
    }

    /// <summary>Reads and checks a name map; every error names the file, the rule and what was expected.</summary>
    public static NameMap Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such name map", path);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a JSON name map (line {e.LineNumber + 1}: {e.Message})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            var version = root.TryGetProperty("formatVersion", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"{path}: formatVersion {version}: expected {FormatVersion}");
            }

            if (!root.TryGetProperty("rules", out var rules) || rules.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{path}: expected a 'rules' array of {{ \"pattern\", \"key\" }} objects");
            }

            return new NameMap(path, [.. rules.EnumerateArray().Select((r, i) => NameRule.Read(r, $"{path}: rules[{i}]"))]);
        }
    }

    private sealed record NameRule(Regex Pattern, string Key, int? Occurrence, TensorLayout? Layout)
    {
        public static NameRule Read(JsonElement rule, string where)
        {
            var pattern = Text(rule, "pattern", where);
            var key = Text(rule, "key", where);
            Regex regex;
            try
            {
                // Anchored: a rule maps whole names, so model.layers.1 does not also match model.layers.10.
                regex = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{where}.pattern '{pattern}': not a regular expression ({e.Message})", e);
            }

            foreach (Match group in Regex.Matches(key, @"\$(\d+)"))
            {
                if (int.Parse(group.Groups[1].Value, CultureInfo.InvariantCulture) >= regex.GetGroupNumbers().Length)
                {
                    throw new InvalidDataException($"{where}.key '{key}': {group.Value} names a group the pattern does not have");
                }
            }

            int? occurrence = rule.TryGetProperty("occurrence", out var o)
                ? o.ValueKind == JsonValueKind.Number && o.TryGetInt32(out var k) && k >= 0 ? k : throw new InvalidDataException($"{where}.occurrence: expected an integer 0 or more")
                : null;
            return new NameRule(regex, key, occurrence, TensorLayout.Read(rule, where));
        }

        private static string Text(JsonElement rule, string member, string where) =>
            rule.ValueKind == JsonValueKind.Object && rule.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
                ? text
                : throw new InvalidDataException($"{where}: expected a non-empty string '{member}'");
    }
}
