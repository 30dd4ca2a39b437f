using Parity.Tests.Support;

namespace Parity.Tests.Suites;

/// <summary><c>parity check --live</c>: the pinned llama.cpp reproduces the committed goldens bit for bit.</summary>
[TestFixture]
public sealed class LiveCheckTests
{
    [Test]
    public void The_committed_goldens_reproduce_with_the_pinned_llama_cpp_at_two_thread_counts()
    {
        var (code, stdout, stderr) = ParityCli.Run("check", "--suite", "ci", "--case", "mini-q4_k_m-*", "--live");
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("mini-q4_k_m-story7 (live)").And.Contain("reproduces the golden bit for bit with 2 and 1 thread(s)"));
        Assert.That(stdout, Does.Contain("6 passed, 0 failed, 0 errors, 0 skipped"));
    }

    /// <summary>The Q8_0 K cache case: llama.cpp's rotated, quantized keys are deterministic across thread counts too.</summary>
    [Test]
    public void The_q8_0_key_cache_golden_reproduces_live()
    {
        var (code, stdout, stderr) = ParityCli.Run("check", "--suite", "ci", "--case", "mini-q8kcache-*", "--live");
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("mini-q8kcache-q4_k_m (live)").And.Contain("reproduces the golden bit for bit"));
        Assert.That(stdout, Does.Contain("2 passed, 0 failed, 0 errors, 0 skipped"));
    }

    /// <summary>
    /// On a machine that loads another library the goldens do not reproduce live; the check names both libraries and
    /// whether the engine reproduces the one loaded here, while the engine itself is still checked against the golden's.
    /// </summary>
    [Test]
    public void Live_against_another_library_names_both_and_whether_the_engine_reproduces_the_loaded_one()
    {
        var (code, stdout, stderr) = ParityCli.Run("check", "--suite", "ci", "--case", "mini-q4_k_m-story7", "--live", "--variant", "avx2");
        Assert.That(code, Is.EqualTo(1), stdout + stderr);
        Assert.That(stdout, Does.Contain("PASS  mini-q4_k_m-story7 ").And.Contain("judged by exact"), "the engine follows the golden's avx512 library");
        Assert.That(stdout, Does.Contain("this machine loads the avx2 library, the golden was made with avx512").And.Contain("the engine reproduces the avx2 library too"));
    }

    [Test]
    public void Shards_split_the_suite_without_overlap()
    {
        var outputs = Enumerable.Range(1, 3).Select(i => ParityCli.Run("check", "--suite", "ci", "--case", "mini-f32-*", "--shard", $"{i}/3")).ToList();
        Assert.That(outputs.Select(o => o.Code), Is.All.Zero);
        var cases = outputs.SelectMany(o => o.Stdout.Split('\n').Where(l => l.StartsWith("PASS", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).ToList();
        Assert.That(cases, Is.EquivalentTo(new[] { "mini-f32-story7", "mini-f32-bos", "mini-f32-chat" }));
        Assert.That(ParityCli.Run("check", "--suite", "ci", "--shard", "4/3").Code, Is.EqualTo(2));
    }
}
