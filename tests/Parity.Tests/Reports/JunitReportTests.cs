using System.Xml.Linq;
using Parity.Harness.Compare;
using Parity.Harness.Reports;
using Parity.Harness.Suites;
using Parity.Tests.Suites;
using Parity.Tests.Support;

namespace Parity.Tests.Reports;

/// <summary>CI-native output of <c>parity check</c>: JUnit XML with one test case per suite case, and GitHub annotations.</summary>
[TestFixture]
[NonParallelizable]
public sealed class JunitReportTests
{
    [Test]
    public void Check_writes_one_JUnit_test_case_per_suite_case_and_no_annotation_when_all_pass()
    {
        using var temp = new TempDirectory();
        var xml = temp.File("out.xml");
        var (code, stdout, stderr) = ParityCli.Run("check", "--suite", "ci", "--case", "mini-f32-*", "--junit", xml, "--github-annotations", "--html", temp.File("check.html"));
        Assert.That(code, Is.EqualTo(0), stdout + stderr);

        var selected = SuiteWorkspace.Ci.Cases.Where(c => c.Name.StartsWith("mini-f32-", StringComparison.Ordinal)).Select(c => c.Name).ToList();
        var root = XDocument.Load(xml).Root!;
        Assert.That(root.Name.LocalName, Is.EqualTo("testsuites"));
        var suite = root.Elements("testsuite").Single();
        Assert.That(suite.Attribute("name")!.Value, Is.EqualTo("ci"));
        Assert.That(suite.Elements("testcase").Select(c => c.Attribute("name")!.Value), Is.EqualTo(selected));
        Assert.That((int)suite.Attribute("tests")!, Is.EqualTo(selected.Count));
        Assert.That((int)suite.Attribute("failures")! + (int)suite.Attribute("errors")! + (int)suite.Attribute("skipped")!, Is.Zero);
        Assert.That(suite.Descendants("failure"), Is.Empty);
        Assert.That(stdout, Does.Not.Contain("::error"));
        Assert.That(File.ReadAllText(temp.File("check.html")), Does.Contain("PARITY HOLDS").And.Contain("mini-f32-story7"));
    }

    [Test]
    public async Task A_planted_failure_is_exactly_one_failed_case_naming_the_tensor_in_JUnit_and_annotations()
    {
        using var workspace = SuiteWorkspace.CopyOfCi("mini-f32-bos", "mini-f32-story7");
        using var work = new TempDirectory();
        var suite = workspace.Suite;
        var policy = TolerancePolicy.Load(TolerancePolicy.DefaultPath);
        var resolver = new SuiteModelResolver(Models.Cache);
        var clean = new SuiteChecker(resolver, policy, work.Path);
        var planted = new SuiteChecker(resolver, policy, work.Path, architectures: PlantedBug.Fault("GqaModuloMapping").Registry);
        CaseResult[] results =
        [
            await clean.CheckAsync(suite, suite.Cases.Single(c => c.Name == "mini-f32-bos")),
            await planted.CheckAsync(suite, suite.Cases.Single(c => c.Name == "mini-f32-story7")),
        ];
        Assert.That(results[0].Verdict, Is.EqualTo(CaseVerdict.Passed), results[0].Summary);
        var tensor = results[1].Diff!.FirstFailure!.Value.Tensor.Key;
        Assert.That(tensor, Is.EqualTo("kq-0"), results[1].Summary);

        var junit = JunitReport.Render(suite.Name, results).Root!.Element("testsuite")!;
        var failures = junit.Elements("testcase").Where(c => c.Element("failure") is not null).ToList();
        Assert.That(failures.Select(f => f.Attribute("name")!.Value), Is.EqualTo(new[] { "mini-f32-story7" }));
        Assert.That(failures[0].Element("failure")!.Attribute("message")!.Value, Does.StartWith($"tensor {tensor} (step 0").And.Contain("judged by exact, rule exact-ggml"));
        Assert.That((int)junit.Attribute("failures")!, Is.EqualTo(1));

        var annotations = GithubAnnotations.Lines(suite.Name, results).ToList();
        Assert.That(annotations, Has.Count.EqualTo(1));
        Assert.That(annotations[0], Does.StartWith("::error title=parity check ci/mini-f32-story7::mini-f32-story7: tensor " + tensor));
    }
}
