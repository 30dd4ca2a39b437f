using System.CommandLine;
using System.Text.Json.Nodes;

namespace Parity.Runner.Verbs;

/// <summary><c>tokenize</c>: llama.cpp's tokenizer (<c>llama_tokenize</c>) on a text.</summary>
internal static class TokenizeVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "GGUF model (only its vocabulary is loaded)" };
        var text = new Option<string?>("--text") { Description = "Text to tokenize" };
        var stdin = new Option<bool>("--stdin") { Description = "Read the text from standard input (UTF-8, taken whole)" };
        var noAddSpecial = new Option<bool>("--no-add-special") { Description = "Do not add BOS/EOS as the model's vocabulary asks" };
        var noParseSpecial = new Option<bool>("--no-parse-special") { Description = "Treat special-token text like </s> as plain text" };
        var command = new Command("tokenize", "Tokenize text with llama.cpp") { model, text, stdin, noAddSpecial, noParseSpecial };
        command.SetAction(parse =>
        {
            var input = parse.GetValue(stdin) ? Console.In.ReadToEnd() : parse.GetValue(text)
                ?? throw new RunnerException(RunnerExitCodes.BadInput, "give --text TEXT or --stdin");
            RunnerGlobals.Start(parse);
            using var m = LlamaModel.Load(parse.GetValue(model)!, vocabOnly: true);
            var tokens = m.Tokenize(input, !parse.GetValue(noAddSpecial), !parse.GetValue(noParseSpecial));
            return RunnerOutput.Write(new JsonObject { ["tokens"] = RunnerOutput.Array(tokens) });
        });
        return command;
    }
}
