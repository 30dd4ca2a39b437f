using System.Text.Json;

namespace Parity.Harness.Compare;

/// <summary>
/// An ordered list of <see cref="ToleranceRule"/>s; the first rule that matches a tensor decides. Loaded from a JSON
/// file (the repo's default is <c>reference-data/tolerances/default.json</c>, copied beside the CLI).
/// </summary>
public sealed record TolerancePolicy
{
    public int FormatVersion { get; init; } = 1;

    public required IReadOnlyList<ToleranceRule> Rules { get; init; }

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "tolerances", "default.json");

    public static TolerancePolicy Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such tolerance file", path);
        }

        TolerancePolicy? policy;
        try
        {
            policy = JsonSerializer.Deserialize(File.ReadAllText(path), CompareJsonContext.Default.TolerancePolicy);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a tolerance policy ({e.Message})", e);
        }

        if (policy is null || policy.FormatVersion != 1 || policy.Rules is null || policy.Rules.Count == 0)
        {
            throw new InvalidDataException($"{path}: expected formatVersion 1 and at least one rule");
        }

        foreach (var (rule, i) in policy.Rules.Select((r, i) => (r, i)))
        {
            var bounded = rule.IsIdentity ? rule.Max is null && rule.Min is null : (rule.Max is not null || rule.Min is not null) && rule.Statistic is "nmse" or "maxAbs" or "cosine";
            if (string.IsNullOrWhiteSpace(rule.Reason) || !bounded)
            {
                throw new InvalidDataException($"{path}: rule {i} ('{rule.Name ?? rule.Pattern}') needs a statistic (identical with no bound; nmse, maxAbs or cosine with a max or min) and a reason");
            }
        }

        return policy;
    }

    public ToleranceRule RuleFor(string name, ComparisonContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Rules.FirstOrDefault(r => r.Matches(name, context))
            ?? throw new InvalidDataException($"no tolerance rule matches tensor '{name}' (weights {context.WeightType}, KV cache {context.KvCache}, numerics {context.Numerics}); end the policy with a '*' rule");
    }
}
