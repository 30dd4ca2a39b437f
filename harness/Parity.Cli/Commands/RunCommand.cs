using System.CommandLine;
using Parity.Cli.Rendering;
using Parity.Dump;
using Parity.Engine.Tokenizer;
using Parity.Harness.Compare;
using Parity.Harness.Engine;
using Parity.Harness.Runner;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>parity run</c>: the main job. Makes or reuses the model, runs llama.cpp (through the runner) and the engine on
/// the same token ids, dumps both, diffs, and reports. With no arguments: tinyllama-mini, Q4_K_M, prompt "Hello".
/// </summary>
public static class RunCommand
{
    public const string DefaultPreset = "tinyllama-mini";
    public const string DefaultQuant = "Q4_K_M";
    public const string DefaultPrompt = "Hello";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var source = new ModelSource(DefaultQuant, DefaultPreset);
        var promptOptions = new PromptOptions();
        var steps = new Option<int>("--steps") { Description = "Greedy decode steps after the prompt, each compared too", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var output = new Option<string>("--out") { Description = "Directory for both dumps and the reports", DefaultValueFactory = _ => Path.Combine("out", "run") }.Expecting("a directory for the dumps and reports");
        var decode = new DecodeOptionSet();
        var report = new ReportOptions();
        var engines = new EngineUnderTestOptions();
        var command = new Command("run", "Run llama.cpp and the engine on the same tokens and compare every tensor") { steps, output };
        source.AddTo(command);
        promptOptions.AddTo(command);
        decode.AddTo(command);
        report.AddTo(command);
        engines.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var policy = report.Policy(parse);
            var (model, outDir, diff) = await ProgressDisplay.RunAsync(parse, stdout, stderr, async io =>
            {
                var engine = await engines.ResolveAsync(parse, decode.EngineNumerics(parse), ct).ConfigureAwait(false);
                var model = await source.ResolveAsync(parse, io.Progress, ct).ConfigureAwait(false);
                engine.CheckSupported(model);
                var runner = CommonOptions.Runner(parse);
                await report.CheckExactTargetAsync(parse, engine, runner, ct, decode.Read(parse, engine)).ConfigureAwait(false);
                var outDir = CommonOptions.OutputDirectory(parse.GetValue(output)!);
                var (ids, text) = await promptOptions.ResolveAsync(parse, model, runner, io.Err, ct).ConfigureAwait(false);
                decode.CheckLimits(parse, model, ids.Length, parse.GetValue(steps), outDir);
                var request = new DumpRequest
                {
                    ModelPath = model,
                    OutputDirectory = outDir,
                    Prompt = text,
                    Tokens = ids,
                    Steps = parse.GetValue(steps),
                    Decode = decode.Read(parse, engine),
                };
                var diff = await new RunAndDiff(runner, engine, policy, report.Pairing(parse)).RunAsync(request, outDir, io.Progress, ct).ConfigureAwait(false);
                return (model, outDir, diff);
            }).ConfigureAwait(false);
            return report.Report(parse, diff, outDir, stdout, Tokenizers.Load(model));
        });
        return command;
    }
}
