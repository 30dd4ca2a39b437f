using System.CommandLine;
using Parity.Harness.Suites;

namespace Parity.Cli.Commands;

/// <summary><c>parity accept --suite NAME [--case PATTERN]</c>: promotes received tolerance snapshots to verified.</summary>
public static class AcceptCommand
{
    public static Command Create(TextWriter stdout)
    {
        var suiteOptions = new SuiteOptions();
        var command = new Command("accept", "Promote received tolerance snapshots (*.received.json) to verified");
        suiteOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var (suite, cases) = suiteOptions.Read(parse);
            var accepted = 0;
            foreach (var c in cases)
            {
                if (Snapshot.Accept(suite.ReceivedPath(c), suite.VerifiedPath(c)))
                {
                    stdout.WriteLine($"accepted {suite.VerifiedPath(c)}");
                    accepted++;
                }
            }

            stdout.WriteLine(accepted == 0 ? "nothing to accept: no .received.json for the selected cases (run parity check first)" : $"{accepted} snapshot(s) accepted");
            return ExitCodes.Ok;
        });
        return command;
    }
}
