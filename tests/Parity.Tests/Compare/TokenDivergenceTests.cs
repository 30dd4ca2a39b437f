using System.Text.Json;
using Parity.Cli;
using Parity.Dump;
using Parity.Engine.Model;
using Parity.Harness.Engine;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// Two free-running dumps whose greedy tokens part, as when a candidate with a bug picks another token: the diff still
/// reports every step before the split, names the step where the tokens part, and says how to compare the rest, where
/// it used to refuse the whole diff. The candidate is Parity's exact engine fed another token after step 1, so the
/// steps before the split must hold.
/// </summary>
[TestFixture]
public sealed class TokenDivergenceTests
{
    [Test]
    public async Task Tokens_that_part_fail_parity_after_comparing_the_steps_before_with_the_teacher_forcing_hint()
    {
        using var temp = new TempDirectory();
        var model = Models.Synthetic(SyntheticPresets.Micro);
        var runs = new PlantedRuns(model, temp.Path);
        var reference = await runs.ReferenceAsync("Hello", steps: 3);
        var generated = reference.GeneratedTokens.ToArray();

        // The candidate's own choice after step 1 differs from llama.cpp's: steps 0 and 1 ran the same tokens, step 2 not.
        var chosen = generated.ToArray();
        chosen[1] = (generated[1] + 1) % reference.Manifest.Model.Hyperparameters!.NVocab;
        var request = runs.Request("candidate", reference.Manifest.Prompt.Tokens, reference.StepCount - 1);
        var candidate = EngineDumper.Dump(request, request.Tokens!, teacherTokens: chosen, numerics: NumericsMode.Ggml).RunDirectory;

        var (code, stdout, stderr) = ParityCli.Run("diff", candidate, reference.Directory, "--out", temp.File("report"));
        Assert.That(code, Is.EqualTo(ExitCodes.ParityBroken), stdout + stderr);
        Assert.That(stdout, Does.Contain($"the greedy tokens part at step 2: A ran [{chosen[1]}], B ran [{generated[1]}]"));
        Assert.That(stdout, Does.Contain("teacher-forced").And.Contain("PARITY BROKEN"));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.File("report"), "report.json")));
        var root = json.RootElement;
        Assert.That(root.GetProperty("passed").GetBoolean(), Is.False);
        Assert.That(root.GetProperty("divergence").GetProperty("step").GetInt32(), Is.EqualTo(2));
        Assert.That(root.GetProperty("divergence").GetProperty("stepsNotCompared").GetInt32(), Is.EqualTo(2));
        var steps = root.GetProperty("steps").EnumerateArray().ToList();
        Assert.That(steps.Select(s => s.GetProperty("step").GetInt32()), Is.EqualTo(new[] { 0, 1 }), "the steps before the split are compared");
        Assert.That(steps.All(s => s.GetProperty("passed").GetBoolean()), Is.True, "and hold: the engine itself is exact");
    }
}
