using System.Text;

namespace Parity.Harness.Engine;

/// <summary>
/// Splits a command line into words the way a POSIX shell does for plain words and quotes, with nothing else a shell
/// does (no variables, globbing, pipes or redirection): an engine command is run directly, so what the user typed
/// must mean one thing.
/// </summary>
public static class CommandWords
{
    /// <summary>The words of <paramref name="commandLine"/>; throws naming the option and the position of an unclosed quote.</summary>
    public static IReadOnlyList<string> Split(string commandLine, string option = "--engine")
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            switch (c)
            {
                case ' ' or '\t' or '\n':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    i = Quoted(commandLine, i, '\'', word, option);
                    inWord = true;
                    break;
                case '"':
                    i = Quoted(commandLine, i, '"', word, option);
                    inWord = true;
                    break;
                case '\\' when i + 1 < commandLine.Length:
                    word.Append(commandLine[++i]);
                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words.Count > 0 ? words : throw new ArgumentException($"{option} '{commandLine}': expected a command (a program and its arguments)");
    }

    // Single quotes keep everything; double quotes let a backslash escape " and \ only.
    private static int Quoted(string text, int open, char quote, StringBuilder word, string option)
    {
        for (var i = open + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == quote)
            {
                return i;
            }

            if (quote == '"' && c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
            {
                word.Append(text[++i]);
                continue;
            }

            word.Append(c);
        }

        throw new ArgumentException($"{option} '{text}': the quote {quote} at character {open + 1} is never closed");
    }
}
