using System.CommandLine;
using Parity.Cli.Rendering;
using Parity.Harness.Runner;
using Parity.Harness.Suites;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>parity drift --to DIR</c>: what changed in llama.cpp itself. The build of <c>--lib-dir</c> (default: the
/// packaged one) and the build <c>--to</c> names run the same model on the same token ids; prints "identical" with the
/// count of tensors compared, or the first op whose output moved with the per-layer table. Exit 0 identical, 1 moved or
/// tokens changed.
/// </summary>
public static class DriftCommand
{
    public const string Packaged = "packaged";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var source = new ModelSource(RunCommand.DefaultQuant, RunCommand.DefaultPreset);
        var promptOptions = new PromptOptions();
        var to = new Option<string>("--to") { Required = true, Description = $"The llama.cpp build to compare with the --lib-dir one: a build directory, or '{Packaged}' for the LLamaSharp.Backend.Cpu libraries" };
        var steps = new Option<int>("--steps") { Description = "Greedy decode steps after the prompt, each compared too", DefaultValueFactory = _ => 16 }.AtLeast(0);
        var threads = new Option<int>("--threads") { Description = "Threads for both builds", DefaultValueFactory = _ => 2 }.AtLeast(1);
        var output = new Option<string>("--out") { Description = "Directory for both dumps (from/ and to/)", DefaultValueFactory = _ => Path.Combine("out", "drift") }.Expecting("a directory for the dumps");
        var command = new Command("drift", "Run two llama.cpp builds on the same model and tokens; name the first op whose output moved") { to, steps, threads, output };
        source.AddTo(command);
        promptOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var result = await ProgressDisplay.RunAsync(parse, stdout, stderr, async io =>
            {
                var model = await source.ResolveAsync(parse, io.Progress, ct).ConfigureAwait(false);
                var from = CommonOptions.Runner(parse);
                var target = parse.GetValue(to)!;
                var toRunner = from.WithLibraryDirectory(target == Packaged ? null : target);
                var (ids, text) = await promptOptions.ResolveAsync(parse, model, from, io.Err, ct).ConfigureAwait(false);
                var outDir = CommonOptions.OutputDirectory(parse.GetValue(output)!);

                // Two llama.cpp dumps: counted as two sides, the engine's estimate standing in for the second.
                RunLimits.Check(model, ids.Length, parse.GetValue(steps), outDir);
                var request = new DumpRequest
                {
                    ModelPath = model,
                    OutputDirectory = string.Empty,
                    Prompt = text,
                    Tokens = ids,
                    Steps = parse.GetValue(steps),
                    Decode = LlamaCppDecodeOptions.Default with { Threads = parse.GetValue(threads) },
                };
                return await BuildDrift.RunAsync(request, from, toRunner, outDir, io.Progress, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            Render(stdout, result);
            return result.Drift.Outcome == "identical" ? ExitCodes.Ok : ExitCodes.ParityBroken;
        });
        return command;
    }

    private static void Render(TextWriter stdout, BuildDrift.Result result)
    {
        stdout.WriteLine($"from: {result.From.Describe()}");
        stdout.WriteLine($"to:   {result.To.Describe()}");
        if (result.From.LibraryVariant != result.To.LibraryVariant)
        {
            stdout.WriteLine($"note: the library variants differ ({result.From.LibraryVariant} vs {result.To.LibraryVariant}); a packaged build takes --variant {result.To.LibraryVariant}, to compare the versions alone");
        }

        DriftRenderer.Case(stdout, result.Drift, string.Empty);
        if (result.Drift.FirstMoved is not null)
        {
            DriftRenderer.Layers(stdout, result.Drift);
        }
    }
}
