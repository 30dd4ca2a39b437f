using System.Text.Json;
using System.Text.RegularExpressions;
using Parity.Harness.Reports;
using Parity.Tests.Support;

namespace Parity.Tests.Reports;

/// <summary>Every JSON document the CLI writes follows one convention: camelCase members and a schemaVersion first.</summary>
[TestFixture]
[NonParallelizable]
public sealed partial class MachineJsonTests
{
    /// <summary>Members whose values are maps keyed by data (tensor types, manifest notes), not by member names.</summary>
    private static readonly string[] Maps = ["weightTypes", "notes"];

    [Test]
    public void Bench_json_is_camelCase_and_versioned()
    {
        var (code, stdout, stderr) = ParityCli.Run("bench", "--preset", "micro", "--quant", "Q8_0", "--threads", "1", "--reps", "1", "--prompt-tokens", "8", "--gen-tokens", "2", "--format", "json");
        Assert.That(code, Is.Zero, stderr);
        using var json = JsonDocument.Parse(stdout);
        AssertConvention(json.RootElement);
        var result = json.RootElement.GetProperty("results")[0];
        Assert.That(result.GetProperty("side").GetString(), Is.Not.Empty);
        Assert.That(result.GetProperty("threads").GetInt32(), Is.EqualTo(1));
        Assert.That(result.GetProperty("promptMedian").GetDouble(), Is.GreaterThan(0));
    }

    [Test]
    public void Report_json_is_camelCase_and_versioned()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", "--prompt", "Hi", "--steps", "1", "--out", temp.Path, "--format", "json");
        Assert.That(code, Is.Zero, stderr);
        using var json = JsonDocument.Parse(stdout);
        AssertConvention(json.RootElement);
        Assert.That(json.RootElement.GetProperty("steps")[0].GetProperty("logits")[0].GetProperty("topTokensA").GetArrayLength(), Is.EqualTo(5));
    }

    private static void AssertConvention(JsonElement root)
    {
        Assert.That(root.EnumerateObject().First().Name, Is.EqualTo("schemaVersion"));
        Assert.That(root.GetProperty("schemaVersion").GetInt32(), Is.EqualTo(MachineJson.SchemaVersion));
        var names = new List<string>();
        Collect(root, names);
        Assert.That(names.Where(n => !CamelCase().IsMatch(n)).Distinct(), Is.Empty, "member names that are not camelCase");
    }

    private static void Collect(JsonElement element, List<string> names)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var member in element.EnumerateObject())
            {
                names.Add(member.Name);
                if (!Maps.Contains(member.Name))
                {
                    Collect(member.Value, names);
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Collect(item, names);
            }
        }
    }

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();
}
