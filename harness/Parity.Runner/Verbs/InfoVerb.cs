using System.CommandLine;

namespace Parity.Runner.Verbs;

/// <summary><c>info</c>: which llama.cpp build this is (<see cref="Abi.LlamaBuild"/>).</summary>
internal static class InfoVerb
{
    public static Command Create()
    {
        var command = new Command("info", "Print the llama.cpp commit, ggml version, library variant and system info");
        command.SetAction(parse =>
        {
            RunnerGlobals.Start(parse);
            return RunnerOutput.Write(Abi.LlamaBuild.Current.ToJson());
        });
        return command;
    }
}
