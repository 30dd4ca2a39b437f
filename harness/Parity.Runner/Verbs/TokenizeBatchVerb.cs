using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Parity.Runner.Verbs;

/// <summary>
/// <c>tokenize-batch</c>: many tokenizer calls on one loaded vocabulary, so comparing hundreds of texts costs one
/// process start instead of hundreds. Standard input is a JSON array of calls
/// <c>{"textHex", "addSpecial", "parseSpecial", "removeSpecial", "unparseSpecial", "tokens"?}</c>: the text (UTF-8 in
/// hex, so any bytes can be sent) goes through <c>llama_tokenize</c>, and <c>llama_detokenize</c> turns the given
/// <c>tokens</c> (or, without them, the ids just produced) back into bytes. Prints
/// <c>{"results": [{"tokens", "textHex"}, ...]}</c> in the same order.
/// </summary>
internal static class TokenizeBatchVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "GGUF model (only its vocabulary is loaded)" };
        var command = new Command("tokenize-batch", "Tokenize and detokenize many texts with llama.cpp (JSON calls on stdin)") { model };
        command.SetAction(parse =>
        {
            var calls = JsonNode.Parse(Console.In.ReadToEnd()) as JsonArray
                ?? throw new RunnerException(RunnerExitCodes.BadInput, "standard input must be a JSON array of calls");
            RunnerGlobals.Start(parse);
            using var m = LlamaModel.Load(parse.GetValue(model)!, vocabOnly: true);
            var results = new JsonArray();
            for (var i = 0; i < calls.Count; i++)
            {
                results.Add(Run(m, calls[i] as JsonObject ?? throw new RunnerException(RunnerExitCodes.BadInput, $"call {i} is not a JSON object"), i));
            }

            return RunnerOutput.Write(new JsonObject { ["results"] = results });
        });
        return command;
    }

    private static JsonObject Run(LlamaModel m, JsonObject call, int index)
    {
        var text = Convert.FromHexString(call["textHex"]?.GetValue<string>() ?? throw new RunnerException(RunnerExitCodes.BadInput, $"call {index} has no textHex"));
        var tokens = m.Tokenize(text, Flag(call, "addSpecial"), Flag(call, "parseSpecial"));
        var detokenize = call["tokens"] is JsonArray given ? [.. given.Select(t => t!.GetValue<int>())] : tokens;
        foreach (var id in detokenize)
        {
            if (id < 0 || id >= m.VocabSize)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, string.Create(CultureInfo.InvariantCulture, $"call {index}: token id {id} is outside the vocabulary (0..{m.VocabSize - 1})"));
            }
        }

        return new JsonObject
        {
            ["tokens"] = RunnerOutput.Array(tokens),
            ["textHex"] = Convert.ToHexString(m.DetokenizeBytes(detokenize, Flag(call, "removeSpecial"), Flag(call, "unparseSpecial"))),
        };
    }

    private static bool Flag(JsonObject call, string name) => call[name]?.GetValue<bool>() ?? false;
}
