using System.Diagnostics;
using Parity.Cli;
using Parity.Tests.Support;

namespace Parity.Tests.Cli;

/// <summary>
/// What the fuzzer ran away with: a prompt or a step count past the model's context, and counts that make no sense.
/// Each is bad input (exit 2) named by its option, refused before either side runs, so nothing is dumped.
/// </summary>
[TestFixture]
public sealed class LimitsTests
{
    [Test]
    public void A_million_steps_are_refused_before_any_dump_naming_the_context()
    {
        using var temp = new TempDirectory();
        var clock = Stopwatch.StartNew();
        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", "--steps", "1000000", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain("--steps 1000000").And.Contain("llama.context_length"));
        Assert.That(Directory.EnumerateFileSystemEntries(temp.Path), Is.Empty, "nothing was dumped");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "refused before any inference");
    }

    [Test]
    public void A_prompt_longer_than_the_context_is_refused_naming_its_token_count()
    {
        using var temp = new TempDirectory();
        var prompt = string.Concat(Enumerable.Repeat("Hello world. ", 8500));
        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", "--prompt", prompt, "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain("prompt token(s)").And.Contain("trained for a context of"));
        Assert.That(Directory.Exists(Path.Combine(temp.Path, "llama.cpp")), Is.False);
    }

    [TestCase("--steps", "-1", "--steps -1")]
    [TestCase("--threads", "0", "--threads 0")]
    [TestCase("--steps", "2147483647", "--steps 2147483647")]
    public void A_count_out_of_range_is_bad_input_naming_the_option(string option, string value, string named)
    {
        using var temp = new TempDirectory();
        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", option, value, "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain(named));
    }

    [TestCase("/dev/null")]
    [TestCase("a-file")]
    public void An_out_that_cannot_be_a_directory_is_bad_input_naming_the_option(string target)
    {
        using var temp = new TempDirectory();
        var path = target == "a-file" ? temp.File("a-file") : target;
        if (target == "a-file")
        {
            File.WriteAllText(path, "not a directory");
        }

        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--prompt", "Hi", "--out", path);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain($"--out {path}: expected a directory"));
    }

    [Test]
    public void Model_info_on_a_name_of_the_wrong_type_names_the_key_and_its_offset()
    {
        using var temp = new TempDirectory();
        var model = GgufEdits.Micro(temp.File("name.gguf"), (k, v) => k == "general.name" ? Parity.Gguf.GgufValue.Of(3u) : v);
        var (code, _, stderr) = ParityCli.Run("model", "info", model);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("metadata 'general.name'").And.Contain("expected a string"));
    }
}
