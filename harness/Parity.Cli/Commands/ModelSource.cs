using System.CommandLine;
using Parity.Gguf;
using Parity.Harness;
using Parity.Harness.Synthetic;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>--model FILE</c> or <c>--preset NAME [--quant TYPE] [--seed N]</c>: a model file, or a synthetic preset
/// generated and quantized by llama.cpp into the model cache on first use.
/// </summary>
public sealed class ModelSource(string defaultQuant = "F32", string? defaultPreset = null)
{
    public Option<FileInfo?> Model { get; } = new("--model") { Description = "GGUF model file" };

    public Option<string?> Preset { get; } = new("--preset") { Description = "Synthetic preset instead of --model: " + string.Join(", ", SyntheticPresets.All.Select(p => p.Name)) };

    public Option<string> Quant { get; } = new Option<string>("--quant") { Description = "Weight type of --preset, or to quantize --model to (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_M, Q4_K_M, Q5_K_M, Q6_K)", DefaultValueFactory = _ => defaultQuant }.OneOf(Parity.Runner.QuantizeTypes.Names);

    public Option<ulong> Seed { get; } = new("--seed") { Description = "With --preset: generator seed", DefaultValueFactory = _ => 0 };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Model);
        command.Options.Add(Preset);
        command.Options.Add(Quant);
        command.Options.Add(Seed);
    }

    /// <summary>Bad input, not a runner failure: token ids outside <paramref name="modelPath"/>'s vocabulary.</summary>
    public static void CheckTokenIds(string modelPath, IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var file = GgufFile.Open(modelPath);
        var vocab = LlamaHyperparameters.Read(file).VocabSize;
        if (ids.Any(id => id < 0 || id >= vocab))
        {
            throw new ArgumentException($"--tokens: id {ids.First(id => id < 0 || id >= vocab)} is outside the vocabulary of {modelPath} (0..{vocab - 1})");
        }
    }

    /// <param name="progress">Told how generating and quantizing go, when the model is not cached yet.</param>
    public async Task<string> ResolveAsync(ParseResult parse, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var file = parse.GetValue(Model);
        var preset = parse.GetValue(Preset);
        if (file is null && preset is null)
        {
            preset = defaultPreset ?? throw new ArgumentException("give --model FILE or --preset NAME");
        }

        if (file is not null && preset is not null)
        {
            throw new ArgumentException("give only one of --model FILE or --preset NAME");
        }

        if (file is not null)
        {
            if (!file.Exists)
            {
                throw new FileNotFoundException($"{file.FullName}: no such model file");
            }

            // A malformed file is bad input (exit 2), found here rather than as a runner failure later.
            using (GgufFile.Open(file.FullName))
            {
            }

            // An explicit --quant with --model quantizes the file with llama.cpp (cached by content).
            var quant = parse.GetResult(Quant) is { Implicit: false } ? parse.GetValue(Quant) : null;
            return quant is null || quant.Equals("F32", StringComparison.OrdinalIgnoreCase)
                ? file.FullName
                : await CommonOptions.Cache(parse, progress).QuantizeAsync(file.FullName, quant, cancellationToken).ConfigureAwait(false);
        }

        return await CommonOptions.Cache(parse, progress).GetAsync(SyntheticPresets.Get(preset!), parse.GetValue(Quant)!, parse.GetValue(Seed), cancellationToken).ConfigureAwait(false);
    }
}
