using Parity.Harness.Compare;
using Parity.Harness.Suites;
using Parity.Tests.Support;

namespace Parity.Tests.Suites;

/// <summary>Tolerance snapshots: a change of the engine's exactness, better or worse, shows as a diff to accept.</summary>
[TestFixture]
public sealed class SnapshotTests
{
    private const string Case = "mini-q4_k_m-story7";

    [Test]
    public async Task A_slight_numerics_change_fails_the_snapshot_with_a_diff_and_accept_makes_it_pass()
    {
        using var workspace = SuiteWorkspace.CopyOfCi(Case);
        var suite = workspace.Suite;
        var suiteCase = suite.Cases.Single();
        var received = suite.ReceivedPath(suiteCase);
        var verifiedBefore = await File.ReadAllTextAsync(suite.VerifiedPath(suiteCase));

        // A relative change of 1e-5 in one layer's attention output. Judged exactly (the default), the verdict itself
        // names it; under tolerance rules alone it is far inside the Q4_K_M bound, and only the snapshot catches it.
        var exact = await Check(workspace, TolerancePolicy.Load(TolerancePolicy.DefaultPath), Nudged);
        Assert.That(exact.Diff!.FirstFailure?.Tensor.Key, Is.EqualTo("attn_out-1"), exact.Summary);
        Assert.That(exact.Diff.FirstFailure?.Tensor.Status, Is.EqualTo(TensorStatus.Differs));
        Assert.That(exact.Summary, Does.Contain("first non-identical tensor: step 0 attn_out-1"));
        var changed = await Check(workspace, bug: Nudged);

        Assert.That(changed.Verdict, Is.EqualTo(CaseVerdict.Failed), changed.Summary);
        Assert.That(changed.Diff!.Passed, Is.True, "still within tolerance: only the snapshot catches it");
        Assert.That(changed.Snapshot, Is.EqualTo(SnapshotOutcome.Changed));
        Assert.That(File.Exists(received), Is.True, "a .received.json is written beside the verified one");
        var diff = string.Join("\n", changed.Details);
        Assert.That(diff, Does.Contain("snapshot changed").And.Contain("parity accept"));
        Assert.That(diff, Does.Match(@"- +""step 0 attn_out-1"": ""nmse [0-9e+-]+").And.Match(@"\+ +""step 0 attn_out-1"": ""nmse [0-9e+-]+"));

        var (code, stdout, stderr) = ParityCli.Run("accept", "--suite", workspace.Directory, "--case", Case);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(File.Exists(received), Is.False);
        Assert.That(await File.ReadAllTextAsync(suite.VerifiedPath(suiteCase)), Is.Not.EqualTo(verifiedBefore));

        var accepted = await Check(workspace, bug: Nudged);
        Assert.That(accepted.Verdict, Is.EqualTo(CaseVerdict.Passed), accepted.Summary + string.Join("\n", accepted.Details));

        // The engine as it is differs from the accepted (nudged) profile: better is a change too.
        var restored = await Check(workspace);
        Assert.That(restored.Snapshot, Is.EqualTo(SnapshotOutcome.Changed));
    }

    [Test]
    public void Buckets_keep_one_significant_digit()
    {
        Assert.That(ErrorProfile.Bucket(0), Is.EqualTo("0"));
        Assert.That(ErrorProfile.Bucket(2.4e-11), Is.EqualTo("2e-11"));
        Assert.That(ErrorProfile.Bucket(2.6e-11), Is.EqualTo("3e-11"));
        Assert.That(ErrorProfile.Bucket(0.5), Is.EqualTo("5e-01"));
        Assert.That(ErrorProfile.Bucket(double.NaN), Is.EqualTo("NaN"));
    }

    [Test]
    public void The_line_diff_shows_changed_lines_with_context_and_elides_the_rest()
    {
        var verified = string.Join("\n", Enumerable.Range(0, 20).Select(i => $"line {i}")) + "\n";
        var received = verified.Replace("line 10\n", "line ten\n", StringComparison.Ordinal);
        var diff = Snapshot.LineDiff(verified, received);
        Assert.That(diff, Does.Contain("- line 10\n").And.Contain("+ line ten\n").And.Contain("  line 8\n").And.Contain("  line 12\n"));
        Assert.That(diff, Does.Not.Contain("line 3\n"));
    }

    [Test]
    public void Accept_without_a_received_snapshot_changes_nothing()
    {
        using var workspace = SuiteWorkspace.CopyOfCi(Case);
        var verified = workspace.Suite.VerifiedPath(workspace.Suite.Cases.Single());
        var before = File.ReadAllText(verified);
        var (code, stdout, _) = ParityCli.Run("accept", "--suite", workspace.Directory);
        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Contain("nothing to accept"));
        Assert.That(File.ReadAllText(verified), Is.EqualTo(before));
    }

    private static PlantedBug Nudged { get; } = PlantedBug.Rewriting((name, _, data, _) =>
    {
        if (name == "attn_out-1")
        {
            foreach (ref var x in data)
            {
                x *= 1 + 1e-5f;
            }
        }
    });

    /// <summary>The case checked with <paramref name="policy"/>; by default the tolerance rules alone (no exact rule).</summary>
    private static Task<CaseResult> Check(SuiteWorkspace workspace, TolerancePolicy? policy = null, PlantedBug? bug = null)
    {
        var suite = workspace.Suite;
        var defaults = TolerancePolicy.Load(TolerancePolicy.DefaultPath);
        policy ??= defaults with { Rules = [.. defaults.Rules.Where(r => r.Exact != true)] };
        return new SuiteChecker(new SuiteModelResolver(Models.Cache), policy, workspace.Directory, architectures: bug?.Registry)
            .CheckAsync(suite, suite.Cases.Single());
    }
}
