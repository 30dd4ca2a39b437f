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

    [Test]
    public void Dumps_estimated_over_max_dump_size_are_refused_before_any_dump()
    {
        using var temp = new TempDirectory();
        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", "--steps", "100", "--max-dump-size", "10MB", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain("--steps 100 would dump about").And.Contain("over --max-dump-size 10 MB"));
        Assert.That(Directory.EnumerateFileSystemEntries(temp.Path), Is.Empty, "nothing was dumped");
    }

    [Test]
    public void Dumps_estimated_over_the_free_disk_are_refused_naming_both_sizes()
    {
        using var temp = new TempDirectory();
        if (new DriveInfo(temp.Path).AvailableFreeSpace > 10L << 40)
        {
            Assert.Ignore("this disk has more than 10 TB free; the run below would fit");
        }

        // 60,000 steps over a 65,536-cell context: llama.cpp's cache views alone come to terabytes.
        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", "--steps", "60000", "--ctx", "65536", "--max-dump-size", "100TB", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain($"into {temp.Path}, but only").And.Contain("is free there"));
        Assert.That(Directory.EnumerateFileSystemEntries(temp.Path), Is.Empty, "nothing was dumped");
    }

    [Test]
    public void A_context_the_machine_cannot_hold_is_refused_naming_the_memory_needed()
    {
        using var temp = new TempDirectory();
        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", "--ctx", "2000000000", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain("(context 2000000000) need about").And.Contain("of memory").And.Contain("is available"));
        Assert.That(Directory.EnumerateFileSystemEntries(temp.Path), Is.Empty, "nothing was dumped");
    }

    [Test]
    public void Ctx_runs_past_the_trained_context_and_both_sides_still_agree()
    {
        using var temp = new TempDirectory();
        var model = GgufEdits.Micro(temp.File("short.gguf"), (k, v) => k == "llama.context_length" ? Parity.Gguf.GgufValue.Of(8u) : v);
        string[] run = ["run", "--model", model, "--tokens", "1,5,9", "--steps", "8"];
        var (refused, _, why) = ParityCli.Run([.. run, "--out", temp.File("refused")]);
        Assert.That(refused, Is.EqualTo(ExitCodes.BadInput), why);
        Assert.That(why, Does.Contain("need 11 positions").And.Contain("trained for a context of 8").And.Contain("--ctx"));

        var (code, stdout, stderr) = ParityCli.Run([.. run, "--ctx", "16", "--out", temp.File("past")]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS"));
        var (tooShort, _, named) = ParityCli.Run([.. run, "--ctx", "10", "--out", temp.File("short")]);
        Assert.That(tooShort, Is.EqualTo(ExitCodes.BadInput), named);
        Assert.That(named, Does.Contain("need 11 positions, but --ctx is 10"));
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
