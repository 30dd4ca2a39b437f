using System.CommandLine;
using Parity.Cli.Rendering;
using Parity.Gguf;
using Parity.Harness.Synthetic;

namespace Parity.Cli.Commands;

/// <summary><c>parity quantize</c>: llama.cpp's quantizer on a file or a preset, with the resulting type of every tensor.</summary>
public static class QuantizeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Option<FileInfo?>("--model") { Description = "Input GGUF (F32/F16/BF16)" };
        var preset = new Option<string?>("--preset") { Description = "A synthetic preset instead of --model (generated on first use)" };
        var type = new Option<string>("--type") { Description = "F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_M, Q4_K_M, Q5_K_M, Q6_K (and the _S/_L variants)", Required = true }.OneOf(Parity.Runner.QuantizeTypes.Names);
        var output = new Option<FileInfo?>("--out") { Description = "Output GGUF (default: into the model cache)" };
        var command = new Command("quantize", "Quantize a model with llama.cpp and report each tensor's type") { model, preset, type, output };
        command.SetAction(async (parse, ct) =>
        {
            var (target, fallbacks) = await ProgressDisplay.RunAsync(parse, stdout, stderr, async io =>
            {
                var cache = CommonOptions.Cache(parse, io.Progress);
                var source = parse.GetValue(model)?.FullName
                    ?? (parse.GetValue(preset) is { } p ? cache.GetSynthetic(SyntheticPresets.Get(p)) : throw new ArgumentException("give --model FILE or --preset NAME"));

                // A file that is not GGUF is bad input named here, not a quantizer failure of llama.cpp's.
                using (GgufFile.Open(source))
                {
                }

                return parse.GetValue(output)?.FullName is { } target
                    ? (target, (await CommonOptions.Runner(parse).QuantizeAsync(source, target, parse.GetValue(type)!, progress: io.Progress, cancellationToken: ct).ConfigureAwait(false)).Fallbacks)
                    : (await cache.QuantizeAsync(source, parse.GetValue(type)!, ct).ConfigureAwait(false), (IReadOnlyList<string>)[]);
            }).ConfigureAwait(false);

            using var file = GgufFile.Open(target);
            await stdout.WriteLineAsync($"{target} ({LlamaHyperparameters.Read(file).FileType})").ConfigureAwait(false);
            foreach (var group in file.Tensors.GroupBy(t => GgmlTypeInfo.Get(t.Type).GgmlName).OrderByDescending(g => g.Count()))
            {
                await stdout.WriteLineAsync($"  {group.Key,-6} x{group.Count(),-4} {string.Join(", ", group.Select(t => t.Name).Take(6))}{(group.Count() > 6 ? ", ..." : string.Empty)}").ConfigureAwait(false);
            }

            foreach (var fallback in fallbacks)
            {
                await stdout.WriteLineAsync("  " + fallback).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
