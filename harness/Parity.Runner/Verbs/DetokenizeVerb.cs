using System.CommandLine;
using System.Text.Json.Nodes;

namespace Parity.Runner.Verbs;

/// <summary><c>detokenize</c>: token ids back to text (<c>llama_detokenize</c>), plus each token's piece bytes.</summary>
internal static class DetokenizeVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "GGUF model (only its vocabulary is loaded)" };
        var tokens = new Option<string>("--tokens") { Required = true, Description = "Comma-separated token ids" };
        var removeSpecial = new Option<bool>("--remove-special") { Description = "Drop BOS/EOS the vocabulary adds" };
        var unparseSpecial = new Option<bool>("--unparse-special") { Description = "Render special tokens as their text" };
        var command = new Command("detokenize", "Turn token ids into text with llama.cpp") { model, tokens, removeSpecial, unparseSpecial };
        command.SetAction(parse =>
        {
            var ids = TokenIds.Parse(parse.GetValue(tokens)!);
            RunnerGlobals.Start(parse);
            using var m = LlamaModel.Load(parse.GetValue(model)!, vocabOnly: true);
            foreach (var id in ids)
            {
                if (id < 0 || id >= m.VocabSize)
                {
                    throw new RunnerException(RunnerExitCodes.BadInput, $"token id {id} is outside the vocabulary (0..{m.VocabSize - 1})");
                }
            }

            var pieces = new JsonArray([.. ids.Select(id => JsonValue.Create(Convert.ToHexString(m.Piece(id, parse.GetValue(unparseSpecial)))))]);
            return RunnerOutput.Write(new JsonObject
            {
                ["text"] = m.Detokenize(ids, parse.GetValue(removeSpecial), parse.GetValue(unparseSpecial)),
                ["piecesHex"] = pieces,
            });
        });
        return command;
    }
}
