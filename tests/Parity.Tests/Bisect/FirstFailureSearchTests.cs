using Parity.Harness.Bisect;

namespace Parity.Tests.Bisect;

/// <summary>The bisection itself, with no model: next index from pass/fail.</summary>
[TestFixture]
public sealed class FirstFailureSearchTests
{
    [Test]
    public void Finds_the_first_failing_index_of_every_boundary_in_log2_probes()
    {
        for (var count = 0; count <= 70; count++)
        {
            for (var first = 0; first <= count; first++)
            {
                var (found, probes) = FirstFailureSearch.Find(count, i => i >= first);
                Assert.That(found, Is.EqualTo(first == count ? null : first), $"count {count}, first failure {first}");
                Assert.That(probes, Is.LessThanOrEqualTo((int)Math.Ceiling(Math.Log2(count + 1))), $"count {count}");
            }
        }
    }

    [Test]
    public void Steps_through_next_and_report()
    {
        var search = new FirstFailureSearch(8);
        Assert.That(search.Next, Is.EqualTo(4));
        search.Report(failed: true);
        Assert.That(search.Next, Is.EqualTo(2));
        search.Report(failed: false);
        Assert.That(search.Next, Is.EqualTo(3));
        search.Report(failed: false);
        Assert.That(search.Done, Is.True);
        Assert.That(search.Result, Is.EqualTo(4));
        Assert.Throws<InvalidOperationException>(() => _ = search.Next);
    }

    [Test]
    public void Reports_nothing_when_every_index_passes_and_refuses_a_result_before_done()
    {
        var search = new FirstFailureSearch(3);
        Assert.Throws<InvalidOperationException>(() => _ = search.Result);
        while (!search.Done)
        {
            search.Report(failed: false);
        }

        Assert.That(search.Result, Is.Null);
    }

    [Test]
    public void The_error_locator_names_heads_tokens_and_channel_parity()
    {
        // ne = [channel 4, head 4, token 3]: error only in heads 1..2 of tokens 1..2, odd channels.
        var b = new float[4 * 4 * 3];
        var a = (float[])b.Clone();
        for (var t = 1; t < 3; t++)
        {
            for (var h = 1; h < 3; h++)
            {
                a[1 + (4 * (h + (4 * t)))] = 1;
                a[3 + (4 * (h + (4 * t)))] = 1;
            }
        }

        var text = ErrorLocator.Describe(a, b, [4, 4, 3, 1], ["channel", "head", "token"], [5, 6, 7]);
        Assert.That(text, Is.EqualTo("channels: only 1, 3 (2 of 4 exact); heads: only 1..2 (2 of 4 exact); tokens: only position 6..position 7 (1 of 3 exact)"));
    }
}
