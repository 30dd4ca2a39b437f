using System.CommandLine;
using Parity.Cli.Rendering;
using Parity.Harness.Suites;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>parity regen --suite NAME [--case PATTERN] [--force]</c>: remakes goldens with llama.cpp, atomically, and prints
/// the reference-drift report (new goldens against the old ones).
/// </summary>
public static class RegenCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var suiteOptions = new SuiteOptions();
        var force = new Option<bool>("--force") { Description = "Regenerate even when a model's sha256 differs from the golden's manifest" };
        var command = new Command("regen", "Regenerate a suite's golden dumps with llama.cpp (atomically) and report how the reference moved") { force };
        suiteOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var (suite, cases) = suiteOptions.Read(parse);
            RegenResult result;
            try
            {
                result = await ProgressDisplay.RunAsync(parse, stdout, stderr, io =>
                    new SuiteRegenerator(new SuiteModelResolver(CommonOptions.Cache(parse, io.Progress)), CommonOptions.Runner(parse), io.Progress)
                        .RegenerateAsync(suite, cases, parse.GetValue(force), ct)).ConfigureAwait(false);
            }
            catch (RegenRefusedException e)
            {
                stderr.WriteLine($"parity: {e.Message}");
                return ExitCodes.BadInput;
            }

            Report(stdout, suite, result);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Report(TextWriter stdout, Suite suite, RegenResult result)
    {
        stdout.WriteLine($"regenerated {result.Regenerated.Count} golden(s) in {suite.GoldensDirectory}");
        foreach (var (name, reason) in result.Skipped)
        {
            stdout.WriteLine($"  kept {name}: {reason}");
        }

        if (result.Builds is { } builds)
        {
            stdout.WriteLine($"the goldens move to another llama.cpp build: {builds}");
        }

        stdout.WriteLine("reference drift (new goldens against the previous ones, exact):");
        var drifts = result.Cases.ToDictionary(c => c.Name, StringComparer.Ordinal);
        foreach (var name in result.Regenerated)
        {
            if (drifts.TryGetValue(name, out var drift))
            {
                DriftRenderer.Case(stdout, drift);
                continue;
            }

            var why = result.TokenChanges.TryGetValue(name, out var change) ? "; " + change : string.Empty;
            stdout.WriteLine($"  {name}: new (no previous golden to compare){why}");
        }

        stdout.WriteLine($"next: `parity check --suite {suite.Name}` compares the engine with the new goldens; `parity accept --suite {suite.Name}` takes changed error profiles");
    }
}
