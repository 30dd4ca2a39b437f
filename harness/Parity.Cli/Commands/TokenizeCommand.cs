using System.CommandLine;
using Parity.Engine.Tokenizer;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>parity tokenize --side llama.cpp --model FILE TEXT</c>: token ids on one line, space-separated (the format of
/// llama.cpp's tokenizer test vectors), so both sides' outputs can be diffed.
/// </summary>
public static class TokenizeCommand
{
    public static Command Create(TextWriter stdout)
    {
        var side = new Option<string>("--side") { Description = "Whose tokenizer: llama.cpp or engine", DefaultValueFactory = _ => "llama.cpp" };
        side.AcceptOnlyFromAmong("llama.cpp", "engine");
        var model = new Option<FileInfo>("--model") { Description = "GGUF model (its vocabulary)", Required = true };
        var noBos = new Option<bool>("--no-bos") { Description = "Do not add the special tokens the vocabulary asks for (BOS)" };
        var noParseSpecial = new Option<bool>("--no-parse-special") { Description = "Treat text like </s> as plain text" };
        var stdin = new Option<bool>("--stdin") { Description = "Read the text from standard input" };
        var text = new Argument<string?>("text") { Description = "Text to tokenize", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("tokenize", "Print the token ids of a text") { side, model, noBos, noParseSpecial, stdin, text };
        command.SetAction(async (parse, ct) =>
        {
            var input = parse.GetValue(stdin) ? await Console.In.ReadToEndAsync(ct).ConfigureAwait(false) : parse.GetValue(text)
                ?? throw new ArgumentException("give the text as an argument or use --stdin");
            var path = parse.GetValue(model)!.FullName;
            var tokens = parse.GetValue(side) == "engine"
                ? Tokenizers.Load(path).Tokenize(input, !parse.GetValue(noBos), !parse.GetValue(noParseSpecial))
                : await CommonOptions.Runner(parse).TokenizeAsync(path, input, !parse.GetValue(noBos), !parse.GetValue(noParseSpecial), ct).ConfigureAwait(false);
            await stdout.WriteLineAsync(string.Join(' ', tokens)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
