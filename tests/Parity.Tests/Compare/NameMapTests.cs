using System.Text.Json;
using Parity.Cli;
using Parity.Dump;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// A candidate that names its tensors its own way (transformers' <c>model.layers.0.self_attn...</c>) aligned with
/// llama.cpp's through a name map of a few pattern rules: it pairs every tensor, the logits table included, and a
/// tensor no rule maps is listed on its own side, never dropped.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NameMapTests
{
    private TempDirectory _temp = null!;
    private string _reference = null!;
    private string _candidate = null!;

    [OneTimeSetUp]
    public void MakeDumps()
    {
        _temp = new TempDirectory();
        (_, _reference, var engine) = MicroDumps.Make(_temp, steps: 1);

        // attn_norm-1 → model.layers.1.attn_norm, result_output → model.result_output: names of another producer.
        _candidate = DumpEditor.Rewrite(engine, _temp.File("foreign"), (_, _, _, _) => null, rename: e => MicroDumps.ForeignName(e.Name));
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp.Dispose();

    [Test]
    public void Two_pattern_rules_align_every_tensor_and_the_logits_of_a_foreign_dump()
    {
        var map = WriteMap("full.json", """
            { "formatVersion": 1, "rules": [
              { "pattern": "model\\.layers\\.(\\d+)\\.(.+)", "key": "$2-$1" },
              { "pattern": "model\\.(.+)", "key": "$1" }
            ] }
            """);
        var (unmapped, unmappedOut, unmappedErr) = ParityCli.Run("diff", _candidate, _reference, "--out", _temp.File("r-unmapped"));
        Assert.That(unmapped, Is.EqualTo(ExitCodes.ParityBroken), "without the map nothing pairs: " + unmappedOut + unmappedErr);

        var (code, stdout, stderr) = ParityCli.Run("diff", _candidate, _reference, "--name-map", map, "--out", _temp.File("r-mapped"));
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain($"A's tensor names aligned by {map} (2 rule(s))").And.Contain("PARITY HOLDS"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_temp.File("r-mapped"), "report.json")));
        var logits = json.RootElement.GetProperty("steps")[0].GetProperty("logits");
        Assert.That(logits.GetArrayLength(), Is.EqualTo(4), "the logits table pairs A's model.result_output with result_output");
    }

    [Test]
    public void A_tensor_no_rule_maps_is_listed_on_its_side_and_breaks_parity()
    {
        var map = WriteMap("partial.json", """
            { "formatVersion": 1, "rules": [
              { "pattern": "model\\.layers\\.(\\d+)\\.(?!ffn_up)(.+)", "key": "$2-$1" },
              { "pattern": "model\\.(.+)", "key": "$1" }
            ] }
            """);
        var (code, stdout, _) = ParityCli.Run("diff", _candidate, _reference, "--name-map", map, "--out", _temp.File("r-partial"));
        Assert.That(code, Is.EqualTo(ExitCodes.ParityBroken), stdout);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_temp.File("r-partial"), "report.json")));
        var rows = json.RootElement.GetProperty("tensors").EnumerateArray().Where(t => t.GetProperty("step").GetInt32() == 0).ToList();
        var onlyB = rows.Where(r => r.GetProperty("status").GetString() == "OnlyInB").Select(r => r.GetProperty("key").GetString()).ToList();
        var onlyA = rows.Where(r => r.GetProperty("status").GetString() == "OnlyInA").Select(r => r.GetProperty("key").GetString()).ToList();
        Assert.That(onlyB, Is.EquivalentTo(new[] { "ffn_up-0", "ffn_up-1" }));
        Assert.That(onlyA, Is.EquivalentTo(new[] { "model.layers.0.ffn_up", "model.layers.1.ffn_up" }), "listed under their own names");
    }

    [TestCase("""{ "formatVersion": 2, "rules": [] }""", "formatVersion 2: expected 1")]
    [TestCase("""{ "formatVersion": 1 }""", "expected a 'rules' array")]
    [TestCase("""{ "formatVersion": 1, "rules": [ { "pattern": "(", "key": "x" } ] }""", "rules[0].pattern '(': not a regular expression")]
    [TestCase("""{ "formatVersion": 1, "rules": [ { "pattern": "a(b)", "key": "x-$2" } ] }""", "rules[0].key 'x-$2': $2 names a group the pattern does not have")]
    [TestCase("""{ "formatVersion": 1, "rules": [ { "pattern": "a" } ] }""", "rules[0]: expected a non-empty string 'key'")]
    [TestCase("""{ "formatVersion": 1, "rules": [ { "pattern": "a", "key": "b", "occurrence": -1 } ] }""", "rules[0].occurrence: expected an integer 0 or more")]
    [TestCase("""not json""", "not a JSON name map")]
    public void A_malformed_name_map_is_bad_input_naming_the_file_and_the_rule(string text, string expected)
    {
        var map = WriteMap("bad.json", text);
        var (code, _, stderr) = ParityCli.Run("diff", _candidate, _reference, "--name-map", map, "--out", _temp.File("r-bad"));
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain(map).And.Contain(expected));
    }

    private string WriteMap(string name, string text)
    {
        var path = _temp.File(name);
        File.WriteAllText(path, text);
        return path;
    }
}
