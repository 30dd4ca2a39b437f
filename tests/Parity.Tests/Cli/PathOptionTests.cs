using Parity.Tests.Support;

namespace Parity.Tests.Cli;

/// <summary>An empty path is refused when the command line is parsed, naming the option and what it expects.</summary>
[TestFixture]
public sealed class PathOptionTests
{
    [TestCase("--html", "a file to write the HTML report to", "run")]
    [TestCase("--out", "a directory for the dumps and reports", "run")]
    [TestCase("--out", "a directory for the dumps and reports", "bisect")]
    [TestCase("--out", "a directory for the reports", "diff", "a", "b")]
    [TestCase("--html", "a file to write the HTML report to", "check", "--suite", "ci")]
    [TestCase("--junit", "a file to write the JUnit XML to", "check", "--suite", "ci")]
    public void An_empty_path_is_bad_usage_naming_the_option(string option, string expected, params string[] verb)
    {
        foreach (var empty in new[] { string.Empty, " " })
        {
            var (code, stdout, stderr) = ParityCli.Run([.. verb, option, empty]);

            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain($"parity: {option}: expected {expected}, got an empty path"));
            Assert.That(stderr, Does.Not.Contain("[parity]"), "refused before any work");
            Assert.That(stdout, Is.Empty);
        }
    }
}
