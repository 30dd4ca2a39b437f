using System.Text;
using Spectre.Console;

namespace Parity.Cli.Rendering;

/// <summary>
/// A writer whose lines go through a Spectre console. While a live display runs on that console, a line written to
/// the terminal past it would be drawn over at the next refresh; through the console it is printed above the display.
/// </summary>
public sealed class ConsoleLineWriter(IAnsiConsole console) : TextWriter
{
    private readonly StringBuilder _line = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_line)
        {
            if (value == '\n')
            {
                console.WriteLine(_line.ToString().TrimEnd('\r'));
                _line.Clear();
                return;
            }

            _line.Append(value);
        }
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? string.Empty)
        {
            Write(c);
        }
    }

    protected override void Dispose(bool disposing)
    {
        lock (_line)
        {
            if (disposing && _line.Length > 0)
            {
                console.WriteLine(_line.ToString());
                _line.Clear();
            }
        }

        base.Dispose(disposing);
    }
}
