using System.CommandLine;
using System.Globalization;
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
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine($"regenerated {result.Regenerated.Count} golden(s) in {suite.GoldensDirectory}");
        foreach (var (name, reason) in result.Skipped)
        {
            stdout.WriteLine($"  kept {name}: {reason}");
        }

        stdout.WriteLine("reference drift (new goldens against the previous ones, exact):");
        foreach (var name in result.Regenerated)
        {
            if (result.New.Contains(name))
            {
                stdout.WriteLine($"  {name}: new (no previous golden to compare){(result.TokenChanges.TryGetValue(name, out var why) ? "; " + why : string.Empty)}");
                continue;
            }

            var moved = result.Drift.Where(d => d.Case == name).ToList();
            var tokens = result.TokenChanges.TryGetValue(name, out var change) ? "; " + change : string.Empty;
            if (moved.Count == 0)
            {
                stdout.WriteLine($"  {name}: identical ({result.Compared[name]} tensors bit for bit){tokens}");
                continue;
            }

            stdout.WriteLine($"  {name}: {moved.Count} of {result.Compared[name]} tensors moved{tokens}");
            foreach (var d in moved.Take(12))
            {
                stdout.WriteLine(string.Create(inv, $"      step {d.Step} {d.Key,-24} {d.Status,-13} nmse {d.Nmse:G3}  max abs {d.MaxAbsError:G3}"));
            }

            if (moved.Count > 12)
            {
                stdout.WriteLine($"      ... and {moved.Count - 12} more");
            }
        }

        stdout.WriteLine($"next: `parity check --suite {suite.Name}` compares the engine with the new goldens; `parity accept --suite {suite.Name}` takes changed error profiles");
    }
}
