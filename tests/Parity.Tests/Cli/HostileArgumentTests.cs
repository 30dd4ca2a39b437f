using Parity.Cli;
using Parity.Tests.Support;

namespace Parity.Tests.Cli;

/// <summary>
/// Every verb with arguments a user could type by mistake or a script could pass by accident: missing paths,
/// directories for files, devices, malformed numbers and lists, counts out of range, unknown names. Each must be one
/// line of bad input (exit 2) that names what was wrong, never a stack trace and never "cannot test" (125), which
/// <c>git bisect run</c> would take as "skip this commit".
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HostileArgumentTests
{
    private TempDirectory _temp = null!;
    private string _model = null!;
    private string _dump = null!;

    [OneTimeSetUp]
    public void MakeInputs()
    {
        _temp = new TempDirectory();
        _model = GgufEdits.Micro(_temp.File("micro.gguf"));
        _dump = _temp.File("dump");
        var (code, _, stderr) = ParityCli.Run("dump", "--side", "engine", "--model", _model, "--tokens", "1,5", "--out", _dump);
        Assert.That(code, Is.Zero, stderr);
        File.WriteAllText(_temp.File("a-file"), "not what any verb expects");
        Directory.CreateDirectory(_temp.File("a-dir"));
    }

    [OneTimeTearDown]
    public void RemoveInputs() => _temp.Dispose();

    private static IEnumerable<TestCaseData> Cases()
    {
        // {model}: a valid micro model; {dump}: a valid engine dump; {file}: a text file; {dir}: an empty directory;
        // {missing}: a path that does not exist. The last element names what the one-line message must mention.
        string[][] cases =
        [
            ["model", "info", "{missing}", "{missing}"],
            ["model", "info", "{dir}", "{dir}"],
            ["model", "info", "{file}", "{file}"],
            ["model", "info", "/dev/null", "/dev/null"],
            ["model", "synth", "--preset", "no-such-preset", "--out", "{dir}/s.gguf", "no-such-preset"],
            ["quantize", "--model", "{missing}", "--type", "Q4_0", "{missing}"],
            ["quantize", "--model", "{model}", "--type", "Q9_9", "Q9_9"],
            ["quantize", "--model", "{file}", "--type", "Q4_0", "{file}"],
            ["tokenize", "--side", "engine", "--model", "{dir}", "Hello", "{dir}"],
            ["tokenize", "--side", "nowhere", "--model", "{model}", "Hello", "nowhere"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "", "--out", "{dir}/d", "--tokens"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "1,abc", "--out", "{dir}/d", "--tokens"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "1,99999999999", "--out", "{dir}/d", "--tokens"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "1,-4", "--out", "{dir}/d", "--tokens"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "1,5", "--steps", "99999999999", "--out", "{dir}/d", "--steps"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "1,5", "--threads", "-3", "--out", "{dir}/d", "--threads"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "1,5", "--out", "{file}", "--out"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "1,5", "--cache-type-k", "q3_z", "--out", "{dir}/d", "q3_z"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "1,5", "--numerics", "f64", "--out", "{dir}/d", "f64"],
            ["dump", "--side", "sideways", "--model", "{model}", "--tokens", "1,5", "--out", "{dir}/d", "sideways"],
            ["dump", "--side", "engine", "--model", "{model}", "--tokens", "1,5", "--filter", "(", "--out", "{dir}/d", "--filter"],
            ["diff", "{missing}", "{dump}", "{missing}"],
            ["diff", "{file}", "{dump}", "{file}"],
            ["diff", "{dir}", "{dump}", "{dir}"],
            ["diff", "{dump}", "{dump}", "--tolerances", "{missing}", "{missing}"],
            ["diff", "{dump}", "{dump}", "--tolerances", "{file}", "{file}"],
            ["diff", "{dump}", "{dump}", "--format", "yaml", "yaml"],
            ["diff", "{dump}", "{dump}", "--out", "/dev/null", "/dev/null"],
            ["run", "--preset", "micro", "--quant", "Q9_9", "--out", "{dir}/r", "Q9_9"],
            ["run", "--model", "{missing}", "--out", "{dir}/r", "{missing}"],
            ["run", "--preset", "micro", "--quant", "F32", "--tokens", "1,abc", "--out", "{dir}/r", "--tokens"],
            ["run", "--preset", "micro", "--quant", "F32", "--prompt", "Hi", "--tokens", "1,5", "--out", "{dir}/r", "--tokens"],
            ["run", "--preset", "micro", "--quant", "F32", "--ctx", "-5", "--out", "{dir}/r", "--ctx"],
            ["run", "--preset", "micro", "--quant", "F32", "--max-dump-size", "lots", "--out", "{dir}/r", "--max-dump-size"],
            ["run", "--preset", "micro", "--quant", "F32", "--seed", "-1", "--out", "{dir}/r", "--seed"],
            ["generate", "--model", "{model}", "--prompt", "Hi", "-n", "-2", "-n"],
            ["generate", "--model", "{model}", "--prompt", "Hi", "--temp", "-1", "--temp"],
            ["generate", "--model", "{model}", "--prompt", "Hi", "--top-p", "7", "--top-p"],
            ["generate", "--model", "{model}", "--prompt", "Hi", "--top-k", "-1", "--top-k"],
            ["generate", "--model", "{model}", "--prompt", "Hi", "--threads", "0", "--threads"],
            ["bench", "--model", "{model}", "--threads", "0", "--threads"],
            ["bench", "--model", "{model}", "--threads", "1,x", "--threads"],
            ["bench", "--model", "{model}", "--reps", "0", "--reps"],
            ["bench", "--model", "{model}", "--prompt-tokens", "-1", "--prompt-tokens"],
            ["bench", "--model", "{model}", "--gen-tokens", "99999999", "--gen-tokens"],
            ["bisect", "--model", "{model}", "--tokens", "1,5", "--reference", "{missing}", "--out", "{dir}/b", "{missing}"],
            ["bisect", "--model", "{model}", "--tokens", "1,5", "--reference", "{file}", "--out", "{dir}/b", "{file}"],
            ["bisect", "--model", "{model}", "--tokens", "1,5", "--local-nmse", "-1", "--out", "{dir}/b", "--local-nmse"],
            ["check", "--suite", "{missing}", "{missing}"],
            ["check", "--suite", "{file}", "{file}"],
            ["check", "--suite", "{dir}", "{dir}"],
            ["check", "--suite", "ci", "--case", "no-such-case", "no-such-case"],
            ["check", "--suite", "ci", "--shard", "3/2", "--shard"],
            ["check", "--suite", "ci", "--shard", "x", "--shard"],
            ["regen", "--suite", "{missing}", "{missing}"],
            ["accept", "--suite", "{file}", "{file}"],
            ["run", "--preset", "micro", "--quant", "F32", "--engine", "", "--out", "{dir}/r", "--engine"],
            ["run", "--preset", "micro", "--quant", "F32", "--engine", "my-engine 'unclosed", "--out", "{dir}/r", "never closed"],
            ["run", "--preset", "micro", "--quant", "F32", "--engine-config", "{missing}", "--out", "{dir}/r", "{missing}"],
            ["run", "--preset", "micro", "--quant", "F32", "--engine-config", "{file}", "--out", "{dir}/r", "{file}"],
            ["run", "--preset", "micro", "--quant", "F32", "--engine-config", "{dir}", "--out", "{dir}/r", "{dir}"],
            ["run", "--preset", "micro", "--quant", "F32", "--engine", "x", "--engine-config", "{file}", "--out", "{dir}/r", "--engine-config"],
            ["run", "--preset", "micro", "--quant", "F32", "--name-map", "{file}", "--out", "{dir}/r", "--name-map"],
            ["run", "--preset", "micro", "--quant", "F32", "--engine", "x", "--engine-timeout", "-1", "--out", "{dir}/r", "--engine-timeout"],
            ["dump", "--side", "llama.cpp", "--model", "{model}", "--tokens", "1,5", "--engine", "x", "--out", "{dir}/d", "--engine"],
            ["bisect", "--model", "{model}", "--tokens", "1,5", "--engine-config", "{missing}", "--out", "{dir}/b", "{missing}"],
            ["check", "--suite", "ci", "--engine-config", "{file}", "{file}"],
            ["bench", "--model", "{model}", "--engine-config", "{missing}", "{missing}"],
            ["--lib-dir", "{missing}", "run", "--preset", "micro", "--out", "{dir}/r", "{missing}"],
            ["--variant", "avx9", "run", "--preset", "micro", "--out", "{dir}/r", "avx9"],
            ["--cache-dir", "/dev/null", "run", "--preset", "micro", "--out", "{dir}/r", "/dev/null"],
        ];

        foreach (var c in cases)
        {
            yield return new TestCaseData(c[..^1], c[^1]).SetArgDisplayNames(string.Join(' ', c[..^1]));
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void A_hostile_argument_is_one_line_of_bad_input_naming_it(string[] args, string named)
    {
        var expanded = args.Select(Expand).ToArray();
        var (code, stdout, stderr) = ParityCli.Run(expanded);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), $"stdout: {stdout}\nstderr: {stderr}");
        // Progress lines may come first, and a parse error ends with the pointer to --help.
        var messages = stderr.Split('\n').Where(l => l.StartsWith("parity: ", StringComparison.Ordinal)).ToList();
        Assert.That(messages, Has.Some.Contain(Expand(named)), stderr);
        Assert.That(stderr, Does.Not.Contain("runner stderr"), "bad input is named before any runner starts");
        Assert.That(stderr, Does.Not.Match(@"(?m)^\s+at \S+\("), "no stack trace");
        Assert.That(stderr, Does.Not.Contain("internal error"));
    }

    private string Expand(string arg) => arg
        .Replace("{model}", _model, StringComparison.Ordinal)
        .Replace("{dump}", _dump, StringComparison.Ordinal)
        .Replace("{file}", _temp.File("a-file"), StringComparison.Ordinal)
        .Replace("{dir}", _temp.File("a-dir"), StringComparison.Ordinal)
        .Replace("{missing}", _temp.File("no-such-thing"), StringComparison.Ordinal);
}
