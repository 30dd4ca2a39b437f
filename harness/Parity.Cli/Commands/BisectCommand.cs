using System.CommandLine;
using System.Globalization;
using Parity.Cli.Rendering;
using Parity.Dump;
using Parity.Engine.Tokenizer;
using Parity.Harness.Bisect;
using Parity.Harness.Compare;
using Parity.Harness.Engine;
using Parity.Harness.Models;
using Parity.Harness.Runner;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>parity bisect</c>: the first tensor that breaks its tolerance, and whether the op that made it is wrong on its
/// own (local) or inherits error (propagated), with the per-layer table of local vs cumulative error. Takes the same
/// model and prompt options as <c>parity run</c>, or <c>--reference DUMP</c> (a llama.cpp dump or a golden) instead of
/// running llama.cpp. Exit 0 clean, 1 a failure found.
/// </summary>
public static class BisectCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var source = new ModelSource(RunCommand.DefaultQuant, RunCommand.DefaultPreset);
        var promptOptions = new PromptOptions();
        var steps = new Option<int>("--steps") { Description = "Greedy decode steps after the prompt (a decode-only bug needs at least 1)", DefaultValueFactory = _ => 2 }.AtLeast(0);
        var reference = new Option<string?>("--reference") { Description = "An existing llama.cpp dump or golden to bisect against (its tokens and steps), instead of running llama.cpp" };
        var localNmse = new Option<double>("--local-nmse") { Description = "An op fed llama.cpp's exact inputs is locally off above this NMSE", DefaultValueFactory = _ => 1e-6 }.Within(0.0, 1.0);
        var output = new Option<string>("--out") { Description = "Directory for the dumps and the reports (report.csv and report.json of the free-running diff, report.html)", DefaultValueFactory = _ => Path.Combine("out", "bisect") }.Expecting("a directory for the dumps and reports");
        var decode = new DecodeOptionSet();
        var report = new ReportOptions();
        var engines = new EngineUnderTestOptions();
        var command = new Command("bisect", "Find the first diverging tensor and tell a local bug from propagated error (teacher forcing)") { steps, reference, localNmse, output };
        source.AddTo(command);
        promptOptions.AddTo(command);
        decode.AddTo(command);
        report.AddTo(command);
        engines.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var policy = report.Policy(parse);
            var outDir = CommonOptions.OutputDirectory(parse.GetValue(output)!);
            var (model, bisect) = await ProgressDisplay.RunAsync(parse, stdout, stderr, async io =>
            {
                var engine = await engines.ResolveAsync(parse, decode.EngineNumerics(parse), ct).ConfigureAwait(false);
                var model = await source.ResolveAsync(parse, io.Progress, ct).ConfigureAwait(false);
                engine.CheckSupported(model);
                var referenceRun = await ReferenceAsync(parse, model, engine, outDir, io, ct).ConfigureAwait(false);
                var options = referenceRun.Manifest.Options;
                var request = new DumpRequest
                {
                    ModelPath = model,
                    OutputDirectory = outDir,
                    Tokens = referenceRun.Manifest.Prompt.Tokens,
                    Decode = new LlamaCppDecodeOptions { Threads = parse.GetValue(decode.Threads), FlashAttention = options.FlashAttention, CacheTypeK = options.TypeK, CacheTypeV = options.TypeV, Repack = options.Repack },
                };
                engine.CheckSupported(request.Decode, request.Tokens.Count);
                return (model, await new Bisector(policy, parse.GetValue(localNmse), report.Pairing(parse)).RunAsync(engine, request, referenceRun, outDir, io.Progress, ct).ConfigureAwait(false));
            }).ConfigureAwait(false);
            var tokenizer = Tokenizers.Load(model);
            Print(stdout, bisect, tokenizer);
            foreach (var file in report.WriteFiles(parse, bisect.Cumulative, outDir, tokenizer, page => page with { Bisect = bisect }))
            {
                stdout.WriteLine($"report: {file}");
            }

            return bisect.Verdict == BisectVerdict.Clean ? ExitCodes.Ok : ExitCodes.ParityBroken;
        });

        // --reference, checked to be of this model, or a fresh llama.cpp dump of the prompt.
        async Task<DumpRun> ReferenceAsync(ParseResult parse, string model, IEngineUnderTest engine, string outDir, VerbConsole io, CancellationToken ct)
        {
            if (parse.GetValue(reference) is { } dump)
            {
                var run = DumpRun.Open(dump);
                var sha = await ModelCache.Sha256Async(model, ct).ConfigureAwait(false);
                return string.Equals(sha, run.Manifest.Model.Sha256, StringComparison.OrdinalIgnoreCase)
                    ? run
                    : throw new ArgumentException($"--reference {dump} was made from a model with sha256 {run.Manifest.Model.Sha256}, not {model} ({sha})");
            }

            var runner = CommonOptions.Runner(parse);
            await report.CheckExactTargetAsync(parse, engine, runner, ct, decode.Read(parse, engine)).ConfigureAwait(false);
            var (ids, text) = await promptOptions.ResolveAsync(parse, model, runner, io.Err, ct).ConfigureAwait(false);
            decode.CheckLimits(parse, model, ids.Length, parse.GetValue(steps), outDir);
            engine.CheckSupported(decode.Read(parse, engine), ids.Length);
            var request = new DumpRequest { ModelPath = model, OutputDirectory = Path.Combine(outDir, "llama.cpp"), Prompt = text, Tokens = ids, Steps = parse.GetValue(steps), Decode = decode.Read(parse, engine) };
            return DumpRun.Open((await runner.DumpAsync(request, io.Progress, ct).ConfigureAwait(false)).RunDirectory);
        }

        return command;
    }

    public static void Print(TextWriter stdout, BisectReport report, ITokenizer? tokenizer)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(report);
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine(report.Summary);
        if (report.Pinpoint is { } pin)
        {
            stdout.WriteLine($"where: {pin}");
        }

        stdout.WriteLine($"free-running, judged by {report.Cumulative.Regime}: " + (report.FirstCumulative is var (step, tensor)
            ? string.Create(inv, $"{FailureDescription.Describe(report.Cumulative, step, tensor)} (found with {report.SearchProbes} residual checkpoint comparisons)")
            : "every tensor holds"));

        var failingSteps = report.Cumulative.Steps.Where(s => !s.Passed).Select(s => s.Step).ToList();
        if (failingSteps.Count > 0)
        {
            stdout.WriteLine($"failing steps: {string.Join(' ', failingSteps)} of 0..{report.Cumulative.Steps.Count - 1}{(failingSteps[0] > 0 ? " (the prompt step holds: a decode-only problem)" : string.Empty)}");
        }

        stdout.WriteLine(string.Create(inv, $"per layer, step {report.Step}: error of the layer output free-running (cumulative) vs with the layer's input forced to llama.cpp's (local); local bound for single ops {report.LocalBound:G2}"));
        stdout.WriteLine("  layer        input cumul.   cumulative   layer-local   amplification   worst op on llama.cpp's inputs");
        foreach (var l in report.Layers)
        {
            stdout.WriteLine(string.Create(inv, $"  {l.Output,-10} {l.InputCumulative,13:G2} {l.Cumulative,12:G2} {l.LayerLocal,13:G2} {(double.IsNaN(l.Amplification) ? "-" : l.Amplification.ToString("G3", inv)),15}   {l.WorstOp} {l.WorstOpLocal:G2}"));
        }

        _ = tokenizer;
    }
}
