using Parity.Tests.Support;

namespace Parity.Tests.Cli;

/// <summary>The bench and generate verbs run end to end (speed itself is measured by the bench, never asserted here).</summary>
[TestFixture]
public sealed class BenchAndGenerateCommandTests
{
    [Test]
    public void Parity_bench_reports_both_sides_and_their_ratio_for_each_thread_count()
    {
        var (code, stdout, stderr) = ParityCli.Run("bench", "--preset", "micro", "--quant", "Q8_0", "--threads", "1,2", "--reps", "1", "--prompt-tokens", "8", "--gen-tokens", "2");
        Assert.That(code, Is.Zero, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Count(l => l.Contains("engine", StringComparison.Ordinal) && l.TrimEnd().EndsWith('x')), Is.EqualTo(2), stdout);
        var llamaRows = lines.Where(l => l.Contains("llama.cpp", StringComparison.Ordinal) && !l.StartsWith("roofline", StringComparison.Ordinal) && !l.Contains("engine/", StringComparison.Ordinal) && !l.Contains("MB)", StringComparison.Ordinal)).ToArray();
        Assert.That(stdout, Does.Contain("repack on, flash attention on (llama.cpp's defaults)"));
        Assert.That(llamaRows, Has.Length.EqualTo(4), "llama.cpp at its defaults (repacking, flash attention), as the engine runs, and plain, per thread count");
        Assert.That(llamaRows.Count(l => l.Contains("llama.cpp plain", StringComparison.Ordinal)), Is.EqualTo(2), stdout);
        Assert.That(llamaRows, Has.All.Match(@"\d\.\d\dx\s+\d+\.\d\dx\s*$"), "each llama.cpp row carries the engine's ratio to it");

        // Each row carries its process's peak RSS against the file size; each thread count gets a roofline line.
        Assert.That(llamaRows, Has.All.Match(@"\(\d+\.\d\dx\)"), stdout);
        Assert.That(lines.Count(l => l.StartsWith("roofline", StringComparison.Ordinal) && l.Contains("GB/s read bandwidth", StringComparison.Ordinal)), Is.EqualTo(2), stdout);
    }

    [Test]
    public void Parity_bench_without_repacking_or_flash_attention_measures_one_llama_cpp_configuration()
    {
        var (code, stdout, stderr) = ParityCli.Run("bench", "--preset", "micro", "--quant", "Q8_0", "--threads", "1", "--reps", "1", "--prompt-tokens", "8", "--gen-tokens", "2", "--no-repack", "--flash-attn", "off");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("repack off, flash attention off").And.Not.Contain("llama.cpp plain"));
    }

    [Test]
    public void Parity_generate_prints_greedy_text_and_ids()
    {
        var model = SharedFixtures.Require("models/stories260K.gguf");
        var (code, text, _) = ParityCli.Run("generate", "--model", model, "--prompt", "Once upon a time", "-n", "20");
        Assert.That(code, Is.Zero);
        Assert.That(text, Does.StartWith(", there was"));
        var (idsCode, ids, _) = ParityCli.Run("generate", "--model", model, "--prompt", "Once upon a time", "-n", "20", "--ids");
        Assert.That(idsCode, Is.Zero);
        Assert.That(ids.Trim().Split(' '), Has.Length.EqualTo(20));
    }
}
