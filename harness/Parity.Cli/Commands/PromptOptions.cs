using System.CommandLine;
using Parity.Engine.Tokenizer;
using Parity.Harness.Models;
using Parity.Harness.Runner;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>--prompt TEXT | --tokens IDS [--chat]</c>, shared by <c>parity run</c> and <c>parity bisect</c>: the prompt's
/// token ids as llama.cpp tokenizes them (both sides then run those ids), with a warning when the engine's own
/// tokenizer disagrees.
/// </summary>
public sealed class PromptOptions
{
    public Option<string?> Prompt { get; } = new("--prompt") { Description = $"Prompt text (default \"{RunCommand.DefaultPrompt}\"), tokenized by llama.cpp; both sides run those ids" };

    public Option<int[]?> Tokens { get; } = OptionRules.IntList("--tokens", "Prompt token ids, comma-separated (instead of --prompt)", 0, "token ids");

    public Option<bool> Chat { get; } = new("--chat") { Description = "Wrap the prompt in the model's chat template (TinyLlama/Zephyr, Llama 3, ChatML, Phi-3, Gemma or Llama 2 form, recognized as llama.cpp does)" };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Prompt);
        command.Options.Add(Tokens);
        command.Options.Add(Chat);
        command.Validators.Add(result =>
        {
            if (result.GetResult(Prompt) is { Implicit: false } && result.GetResult(Tokens) is { Implicit: false })
            {
                result.AddError("give only one of --prompt TEXT or --tokens IDS");
            }
        });
    }

    /// <returns>The token ids and the prompt text (null when ids were given).</returns>
    public async Task<(int[] Ids, string? Text)> ResolveAsync(ParseResult parse, string model, LlamaCppRunner runner, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(stderr);
        if (parse.GivenList(Tokens) is { } given)
        {
            ModelSource.CheckTokenIds(model, given);
            return (given, null);
        }

        var text = parse.GetValue(Prompt) ?? RunCommand.DefaultPrompt;
        if (parse.GetValue(Chat))
        {
            text = ChatTemplate.Apply(model, text);
        }

        // The engine's tokenizer first: a vocabulary it refuses (another tokenizer model, an unknown pre-tokenizer)
        // is bad input named before llama.cpp is started.
        var tokenizer = Tokenizers.Load(model);
        var ids = await runner.TokenizeAsync(model, text, cancellationToken: cancellationToken).ConfigureAwait(false);
        var engineIds = tokenizer.Tokenize(text, true, true);
        if (!engineIds.SequenceEqual(ids))
        {
            await stderr.WriteLineAsync($"[parity] warning: the engine's tokenizer gives [{string.Join(' ', engineIds)}], llama.cpp gives [{string.Join(' ', ids)}]; both sides run llama.cpp's ids").ConfigureAwait(false);
        }

        return (ids, text);
    }
}
