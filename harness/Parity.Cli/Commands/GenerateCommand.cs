using System.CommandLine;
using Parity.Cli.Rendering;
using Parity.Engine.Generation;
using Parity.Engine.Model;
using Parity.Engine.Tokenizer;

namespace Parity.Cli.Commands;

/// <summary><c>parity generate</c>: text from the engine, greedy or sampled, stopping at an end-of-generation token.</summary>
public static class GenerateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var source = new ModelSource();
        var prompt = new Option<string>("--prompt") { Description = "Prompt text (BOS is added as the vocabulary asks)", Required = true };
        var count = new Option<int>("-n") { Description = "Most tokens to generate", DefaultValueFactory = _ => 64 }.AtLeast(1);
        var temperature = new Option<float>("--temp") { Description = "Temperature; 0 is greedy", DefaultValueFactory = _ => 0f }.AtLeast(0f);
        var topK = new Option<int>("--top-k") { Description = "Sample from the k most likely tokens (0: all)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var topP = new Option<float>("--top-p") { Description = "Sample from the most likely tokens up to this probability mass", DefaultValueFactory = _ => 1f }.Within(0f, 1f, minimumExcluded: true);
        var seed = new Option<int>("--sample-seed") { Description = "Seed of the sampler", DefaultValueFactory = _ => 0 };
        var ids = new Option<bool>("--ids") { Description = "Print the token ids instead of the text" };
        var threads = new Option<int>("--threads") { Description = "Threads", DefaultValueFactory = _ => 2 }.AtLeast(1);
        var command = new Command("generate", "Generate text with the engine") { prompt, count, temperature, topK, topP, seed, ids, threads };
        source.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var model = await ProgressDisplay.RunAsync(parse, stdout, stderr, io => source.ResolveAsync(parse, io.Progress, ct)).ConfigureAwait(false);
            var tokenizer = Tokenizers.Load(model);
            var promptIds = tokenizer.Tokenize(parse.GetValue(prompt)!, true, true);
            var n = parse.GetValue(count);
            using var engine = Transformer.Load(model, new EngineOptions { Threads = parse.GetValue(threads), MaxBatch = Math.Max(1, promptIds.Length), ContextSize = (promptIds.Length + n + 255) / 256 * 256 });
            var options = new SamplingOptions { Temperature = parse.GetValue(temperature), TopK = parse.GetValue(topK), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed) };
            var generated = TextGenerator.Generate(engine, promptIds, n, options, tokenizer.Vocabulary.EndOfGenerationIds).ToList();
            await stdout.WriteLineAsync(parse.GetValue(ids) ? string.Join(' ', generated) : tokenizer.Detokenize(generated, false, false)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
