using Parity.Harness.Suites;
using Parity.Tests.Support;

namespace Parity.Tests.Suites;

/// <summary>Suite files: a bad one is refused with the file and the field named.</summary>
[TestFixture]
public sealed class SuiteFileTests
{
    private const string Model = """{ "preset": "micro", "quant": "F32" }""";

    [TestCase("""{ "formatVersion": 2, "name": "s", "cases": [] }""", "formatVersion")]
    [TestCase("""{ "name": "s", "cases": [] }""", "cases: expected at least one case")]
    [TestCase("""{ "name": "s", "cases": [ { "name": "a", "model": {{MODEL}}, "prompt": "x", "tokens": [1] } ] }""", "cases[0] ('a'): expected exactly one of prompt")]
    [TestCase("""{ "name": "s", "cases": [ { "name": "a", "model": {{MODEL}}, "prompt": "x" }, { "name": "a", "model": {{MODEL}}, "prompt": "y" } ] }""", "cases[1] ('a').name: a case of that name already exists")]
    [TestCase("""{ "name": "s", "cases": [ { "name": "a b", "model": {{MODEL}}, "prompt": "x" } ] }""", ".name: expected a name of letters")]
    [TestCase("""{ "name": "s", "cases": [ { "name": "a", "model": { "quant": "F32" }, "prompt": "x" } ] }""", "cases[0] ('a').model: expected exactly one of preset, fixture or path")]
    [TestCase("""{ "name": "s", "cases": [ { "name": "a", "model": {{MODEL}}, "tokens": [1], "chat": true } ] }""", ".chat: the chat template wraps a text prompt")]
    [TestCase("""{ "name": "s", "cases": [ { "name": "a", "model": {{MODEL}}, "prompt": "x", "kvCache": "q4_0" } ] }""", ".kvCache: expected f16, f32, q8_0 (K in Q8_0, V in F16) or a pair K/V the engine keeps, found 'q4_0': --cache-type-v q4_0 without flash attention: llama.cpp refuses it")]
    [TestCase("""{ "name": "s", "cases": [ { "name": "a", "model": {{MODEL}}, "prompt": "x", "tensors": "(" } ] }""", ".tensors: not a regular expression")]
    [TestCase("""{ "name": "s", "cases": [ { "name": "a", "model": {{MODEL}}, "prompt": "x", "stpes": 3 } ] }""", "stpes")]
    [TestCase("""{ "name": "s", "cases": [ { "name": "a", "model": {{MODEL}}, "prompt": "x", "steps": -1 } ] }""", ".steps: expected 0..256")]
    public void A_bad_suite_file_is_refused_naming_the_file_and_the_field(string json, string expected)
    {
        using var temp = new TempDirectory();
        var path = temp.File(Suite.FileName);
        File.WriteAllText(path, json.Replace("{{MODEL}}", Model, StringComparison.Ordinal));
        var e = Assert.Throws<InvalidDataException>(() => Suite.Load(path));
        Assert.That(e!.Message, Does.StartWith(path).And.Contain(expected));
    }

    [Test]
    public void Cases_are_selected_by_glob_and_an_unmatched_pattern_lists_the_cases()
    {
        var suite = SuiteWorkspace.Ci;
        Assert.That(suite.Select("mini-q4_k_m-*").Select(c => c.Name), Is.EqualTo(new[] { "mini-q4_k_m-story7", "mini-q4_k_m-bos", "mini-q4_k_m-chat" }));
        var e = Assert.Throws<ArgumentException>(() => suite.Select("nothing-*"));
        Assert.That(e!.Message, Does.Contain("matches none").And.Contain("mini-f32-story7"));
    }

    [Test]
    public void An_unknown_suite_name_says_where_it_looked()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Suite.Find("no-such-suite"));
        Assert.That(e!.Message, Does.Contain("reference-data/suites/no-such-suite/suite.json"));
    }

    [Test]
    public async Task Fixture_cases_skip_with_the_reason_when_the_fixtures_are_absent()
    {
        var previous = Environment.GetEnvironmentVariable("PARITY_FIXTURES");
        Environment.SetEnvironmentVariable("PARITY_FIXTURES", "/nonexistent/fixtures");
        try
        {
            var suite = SuiteWorkspace.Ci;
            var stories = suite.Cases.First(c => c.Model.Fixture is not null);
            var e = await Assert.ThrowsAsync<CaseSkippedException>(() => new SuiteModelResolver(Models.Cache).ResolveAsync(suite, stories));
            Assert.That(e!.Message, Does.Contain(stories.Name).And.Contain("shared fixtures"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PARITY_FIXTURES", previous);
        }
    }
}
