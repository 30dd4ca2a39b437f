using Parity.Cli;
using Parity.Engine.Model;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary><c>parity run</c> end to end, with llama.cpp through the runner and the engine in process.</summary>
[TestFixture]
public sealed class RunCommandTests
{
    [Test]
    public void I_run_parity_run_with_no_arguments_and_get_the_per_layer_table_and_parity_holds()
    {
        using var temp = new TempDirectory();
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = temp.Path;
        try
        {
            var (code, stdout, stderr) = ParityCli.Run("run");
            Assert.That(code, Is.Zero, stdout + stderr);
            Assert.That(stdout, Does.Contain("tinyllama-mini").And.Contain("Q4_K_M").And.Contain("prompt tokens [1 959]"));
            Assert.That(stdout, Does.Contain("l_out RMS A").And.Contain("worst tensor").And.Contain("PARITY HOLDS"));
            Assert.That(File.Exists(Path.Combine(temp.Path, "out", "run", "report.csv")), Is.True);
            Assert.That(File.Exists(Path.Combine(temp.Path, "out", "run", "report.json")), Is.True);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Test]
    public void Stories260K_once_upon_a_time_for_16_steps_holds_and_shows_the_same_text_on_both_sides()
    {
        var model = SharedFixtures.Require("models/stories260K.gguf");
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--model", model, "--prompt", "Once upon a time", "--steps", "16", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        var a = stdout.Split('\n').Single(l => l.StartsWith("greedy text A:", StringComparison.Ordinal))["greedy text A:".Length..];
        var b = stdout.Split('\n').Single(l => l.StartsWith("greedy text B:", StringComparison.Ordinal))["greedy text B:".Length..];
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.Trim(), Has.Length.GreaterThan(20));
        Assert.That(stdout, Does.Contain("the greedy tokens agree at every step"));
    }

    [Test]
    public void A_perturbed_engine_tensor_breaks_parity_with_exit_1_and_is_named_as_the_first_failure()
    {
        using var temp = new TempDirectory();
        using var hook = EngineTestHooks.Install((name, op, data, ne) =>
        {
            if (name == "ffn_up-1")
            {
                data[5] += 0.5f;
            }
        });
        var (code, stdout, _) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", "--cache-type-k", "f32", "--cache-type-v", "f32", "--prompt", "Hello, how are you?", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("first failure: step 0, ffn_up-1 (MUL_MAT)"));
        Assert.That(stdout, Does.Contain("PARITY BROKEN"));
    }

    [Test]
    public void The_chat_template_wraps_the_prompt_the_same_way_on_both_sides()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "F32", "--prompt", "Hello", "--chat", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stderr, Does.Not.Contain("warning: the engine's tokenizer"));
        var tokens = stdout.Split('\n').Single(l => l.StartsWith("prompt tokens", StringComparison.Ordinal));
        Assert.That(tokens.Split(' ').Length, Is.GreaterThan(8), "<|user|>\\nHello</s>\\n<|assistant|>\\n is several tokens");
        Assert.That(tokens, Does.Contain(" 2 "), "</s> is parsed as the EOS token");
    }
}
