using System.CommandLine;
using System.Globalization;
using Parity.Harness.Suites;

namespace Parity.Cli.Commands;

/// <summary><c>--suite NAME</c> and <c>--case PATTERN</c>, shared by check, regen and accept.</summary>
public sealed class SuiteOptions
{
    public Option<string> Suite { get; } = new("--suite") { Description = "Suite name (reference-data/suites/NAME) or a directory holding suite.json", DefaultValueFactory = _ => "ci" };

    public Option<string?> Case { get; } = new("--case") { Description = "Only cases whose name matches this glob (* and ?)" };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Suite);
        command.Options.Add(Case);
    }

    public (Suite Suite, IReadOnlyList<SuiteCase> Cases) Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var suite = Parity.Harness.Suites.Suite.Find(parse.GetValue(Suite)!);
        return (suite, suite.Select(parse.GetValue(Case)));
    }

    /// <summary>"i/n" (1-based): every n-th case starting at the i-th, so n CI jobs split a suite without overlap.</summary>
    public static IReadOnlyList<SuiteCase> Shard(IReadOnlyList<SuiteCase> cases, string? shard)
    {
        ArgumentNullException.ThrowIfNull(cases);
        if (shard is null)
        {
            return cases;
        }

        var parts = shard.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count < 1 || index < 1 || index > count)
        {
            throw new ArgumentException($"--shard '{shard}': expected i/n with 1 <= i <= n, e.g. 2/4");
        }

        return [.. cases.Where((_, i) => i % count == index - 1)];
    }
}
