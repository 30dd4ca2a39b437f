using System.CommandLine;

namespace Parity.Cli.Commands;

/// <summary>
/// Path options checked when the command line is parsed: an empty path is refused before any work starts, naming the
/// option and what it expects, rather than by the file system's generic message once the work is done.
/// </summary>
public static class PathOptions
{
    public static T Expecting<T>(this T option, string expected)
        where T : Option
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value)))
            {
                result.AddError($"{option.Name}: expected {expected}, got an empty path");
            }
        });
        return option;
    }
}
