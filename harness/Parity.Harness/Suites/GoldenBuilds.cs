using Parity.Dump;

namespace Parity.Harness.Suites;

/// <summary>Which llama.cpp builds a suite's goldens come from, so <c>check</c> can say so (and say when they are mixed).</summary>
public static class GoldenBuilds
{
    /// <summary>Each build (as <see cref="DumpProducer.Describe"/> puts it) with the cases whose golden it made; cases without a readable golden are left out (their check says why).</summary>
    public static IReadOnlyList<(string Build, IReadOnlyList<string> Cases)> Of(Suite suite, IEnumerable<SuiteCase> cases)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(cases);
        var byBuild = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var c in cases)
        {
            var directory = Path.Combine(suite.GoldensDirectory, c.Name);
            if (!File.Exists(Path.Combine(directory, DumpFormat.RunManifestFileName)))
            {
                continue;
            }

            string build;
            try
            {
                build = DumpRun.Open(directory).Manifest.Producer.Describe();
            }
            catch (Exception e) when (e is DumpFormatException or IOException or InvalidDataException)
            {
                continue; // The case's own check reports a damaged golden, by name.
            }

            if (!byBuild.TryGetValue(build, out var list))
            {
                byBuild[build] = list = [];
            }

            list.Add(c.Name);
        }

        return [.. byBuild.Select(p => (p.Key, (IReadOnlyList<string>)p.Value))];
    }
}
