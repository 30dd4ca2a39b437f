using Parity.Harness.Compare;
using Parity.Harness.Suites;
using Parity.Tests.Support;

namespace Parity.Tests.Suites;

/// <summary>
/// The committed ci suite, one NUnit test per case: the engine against the golden llama.cpp dumps and the verified
/// tolerance snapshot, with no llama.cpp inference (llama.cpp only quantizes the synthetic models on first use).
/// </summary>
[TestFixture]
public sealed class CiSuiteTests
{
    private static readonly Lazy<string> Work = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), "parity-tests", "ci-suite-" + Environment.ProcessId);
        Directory.CreateDirectory(path);
        return path;
    });

    public static IEnumerable<TestCaseData> Cases() =>
        SuiteWorkspace.Ci.Cases.Select(c => new TestCaseData(c.Name).SetName($"ci/{c.Name}"));

    [TestCaseSource(nameof(Cases))]
    public async Task Case_holds_against_its_golden_and_verified_snapshot(string name)
    {
        var suite = SuiteWorkspace.Ci;
        var checker = new SuiteChecker(new SuiteModelResolver(Models.Cache), TolerancePolicy.Load(TolerancePolicy.DefaultPath), Work.Value);
        var result = await checker.CheckAsync(suite, suite.Cases.Single(c => c.Name == name));
        if (result.Verdict == CaseVerdict.Skipped)
        {
            Assert.Ignore(result.Summary);
        }

        Assert.That(result.Verdict, Is.EqualTo(CaseVerdict.Passed), () => result.Summary + "\n" + string.Join("\n", result.Details));
        Assert.That(result.Snapshot, Is.EqualTo(SnapshotOutcome.Matches));
    }

    [Test]
    public void The_ci_suite_covers_every_weight_type_with_three_prompt_shapes_every_family_and_stays_small()
    {
        var suite = SuiteWorkspace.Ci;
        string[] types = ["F32", "F16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"];
        foreach (var (preset, type) in new[] { "tinyllama-mini", "llama3-mini" }.SelectMany(p => types.Select(t => (p, t))))
        {
            var mini = suite.Cases.Where(c => c.Model.Preset == preset && c.Model.Quant == type).ToList();
            Assert.That(mini.Any(c => c.Tokens is { Count: 1 }), Is.True, $"{preset} {type}: a 1-token prompt");
            Assert.That(mini.Any(c => c.Prompt is not null && !c.Chat && (c.Tensors is null || preset != "tinyllama-mini")), Is.True, $"{preset} {type}: a text prompt (with every tensor for tinyllama-mini)");
            Assert.That(mini.Any(c => c.Chat), Is.True, $"{preset} {type}: a chat-template prompt");
        }

        // Every other family's mini preset: the six types, each with its chat template.
        string[] familyTypes = ["F32", "F16", "Q8_0", "Q4_0", "Q4_K_M", "Q6_K"];
        var families = Parity.Harness.Synthetic.SyntheticPresets.All.Where(p => p.Architecture != "llama" && p.Name.EndsWith("-mini", StringComparison.Ordinal)).ToList();
        Assert.That(families, Is.Not.Empty);
        foreach (var (preset, type) in families.SelectMany(p => familyTypes.Select(t => (p.Name, t))))
        {
            Assert.That(suite.Cases.Any(c => c.Model.Preset == preset && c.Model.Quant == type && c.Chat), Is.True, $"{preset} {type}: a chat-template prompt");
        }

        // Both attention configurations for every tinyllama-mini weight type: the plain nodes and flash attention
        // (llama.cpp's default), and ggml's tiled flash attention over a prompt of 64 or more tokens, F16 and F32 caches.
        foreach (var type in types)
        {
            var mini = suite.Cases.Where(c => c.Model.Preset == "tinyllama-mini" && c.Model.Quant == type).ToList();
            Assert.That(mini.Any(c => !c.FlashAttention), Is.True, $"tinyllama-mini {type}: flash attention off");
            Assert.That(mini.Any(c => c.FlashAttention), Is.True, $"tinyllama-mini {type}: flash attention on");
        }

        var tiled = suite.Cases.Where(c => c.FlashAttention && c.Tokens is { Count: >= Parity.Engine.Kernels.TiledFlashAttention.QueryTile });
        Assert.That(tiled.Select(suite.KvCacheOf), Is.SupersetOf(new[] { "f16", "f32" }), "tiled flash attention cases");

        var story7 = Parity.Dump.DumpRun.Open(suite.GoldenDirectory(suite.Cases.Single(c => c.Name == "mini-q4_k_m-story7")));
        Assert.That(story7.Manifest.Prompt.Tokens, Has.Count.EqualTo(7), "the text prompt is 7 tokens");
        Assert.That(suite.Cases.Where(c => c.Model.Fixture is not null).Select(c => c.Model.Quant), Is.SupersetOf(new[] { "F32", "Q4_K_M" }), "stories260K cases");

        var files = new DirectoryInfo(Path.Combine(RepoRoot.Find(), "reference-data")).EnumerateFiles("*", SearchOption.AllDirectories).ToList();
        Assert.That(files.Where(f => f.Length > 4L << 20).Select(f => f.FullName), Is.Empty, "no reference-data file over 4 MB");
        Assert.That(files.Sum(f => f.Length), Is.LessThanOrEqualTo(100L << 20), "the reference-data tree stays under 100 MB");
    }
}
