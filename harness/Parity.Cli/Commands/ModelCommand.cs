using System.CommandLine;
using System.Globalization;
using Parity.Cli.Rendering;
using Parity.Gguf;
using Parity.Harness.Models;
using Parity.Harness.Synthetic;

namespace Parity.Cli.Commands;

/// <summary><c>parity model synth</c> and <c>parity model info</c>.</summary>
public static class ModelCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr) => new("model", "Make synthetic models and inspect GGUF files")
    {
        CreateSynth(stdout, stderr),
        CreateInfo(stdout),
    };

    private static Command CreateSynth(TextWriter stdout, TextWriter stderr)
    {
        var preset = new Option<string>("--preset") { Description = "Preset: " + string.Join(", ", SyntheticPresets.All.Select(p => p.Name)), Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Output GGUF file (written atomically)", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed; the same preset and seed give the same bytes on any machine", DefaultValueFactory = _ => 0 };
        var type = new Option<string>("--type") { Description = "Matrix type: f32 or f16 (quantize further with llama.cpp)", DefaultValueFactory = _ => "f32" };
        type.AcceptOnlyFromAmong("f32", "f16");
        var vocab = new Option<FileInfo?>("--vocab") { Description = "Copy every tokenizer.* key from this GGUF (e.g. a vocab-only ggml-vocab-*.gguf) instead of generating the preset's vocabulary; n_vocab follows it" };
        var command = new Command("synth", "Write a deterministic synthetic model of a preset's architecture") { preset, output, seed, type, vocab };
        command.SetAction(async parse =>
        {
            var p = SyntheticPresets.Get(parse.GetValue(preset)!);
            var path = parse.GetValue(output)!.FullName;
            var weightType = parse.GetValue(type) == "f16" ? GgmlType.F16 : GgmlType.F32;
            var started = System.Diagnostics.Stopwatch.StartNew();
            await ProgressDisplay.RunAsync(parse, stdout, stderr, io =>
            {
                if (parse.GetValue(vocab) is { } vocabulary)
                {
                    SyntheticModel.Write(p, path, vocabulary.FullName, parse.GetValue(seed), weightType, io.Progress);
                }
                else
                {
                    SyntheticModel.Write(p, path, parse.GetValue(seed), weightType, io.Progress);
                }

                return Task.FromResult(path);
            }).ConfigureAwait(false);

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {path} ({new FileInfo(path).Length / 1e6:F1} MB, preset {p.Name}, seed {parse.GetValue(seed)}, {weightType}) in {started.Elapsed.TotalSeconds:F1} s"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateInfo(TextWriter stdout)
    {
        var file = new Argument<FileInfo>("file") { Description = "A GGUF model file" };
        var command = new Command("info", "Print a GGUF model's hyperparameters, tensor types and vocabulary") { file };
        command.SetAction(parse =>
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            using var gguf = GgufFile.Open(parse.GetValue(file)!.FullName);
            var opened = started.Elapsed;
            ModelSummaryText.Write(ModelSummary.Read(gguf), stdout);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"opened in",-14}{opened.TotalMilliseconds:F1} ms (header of {gguf.HeaderLength:N0} bytes parsed from the memory map; tensor data not read)"));
            return ExitCodes.Ok;
        });
        return command;
    }
}
