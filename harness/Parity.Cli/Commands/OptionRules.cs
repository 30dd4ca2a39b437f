using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace Parity.Cli.Commands;

/// <summary>
/// What an option's value must be, checked when the command line is parsed: a value out of range is refused before any
/// work starts, with the option, the value given and what was expected, so a script's mistake is bad input (exit 2)
/// rather than an overflow or a runner failure later.
/// </summary>
public static class OptionRules
{
    public static Option<T> AtLeast<T>(this Option<T> option, T minimum)
        where T : struct, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (Converted<T>(result) is { } value && (value < minimum || T.IsNaN(value)))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {value}: expected {minimum} or more"));
            }
        });
        return option;
    }

    /// <summary>A number in [<paramref name="minimum"/>, <paramref name="maximum"/>] (or (minimum, maximum] when <paramref name="minimumExcluded"/>).</summary>
    public static Option<T> Within<T>(this Option<T> option, T minimum, T maximum, bool minimumExcluded = false)
        where T : struct, IFloatingPoint<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (Converted<T>(result) is not { } value)
            {
                return;
            }

            var aboveMinimum = minimumExcluded ? value > minimum : value >= minimum;
            if (!aboveMinimum || value > maximum || T.IsNaN(value))
            {
                var low = minimumExcluded ? "(" : "[";
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {value}: expected a number in {low}{minimum}, {maximum}]"));
            }
        });
        return option;
    }

    /// <summary>The option's value, or null when it did not convert (System.CommandLine has already said why).</summary>
    private static T? Converted<T>(OptionResult result)
        where T : struct
    {
        try
        {
            return result.GetValueOrDefault<T>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>One of <paramref name="names"/>, in any letter case, listed in the error when another is given.</summary>
    public static T OneOf<T>(this T option, IReadOnlyCollection<string> names)
        where T : Option
    {
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(names);
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => !names.Contains(t.Value, StringComparer.OrdinalIgnoreCase)))
            {
                result.AddError($"{option.Name} {token.Value}: expected one of {string.Join(", ", names)}");
            }
        });
        return option;
    }

    /// <summary>A .NET regular expression that compiles; the error says where the pattern breaks.</summary>
    public static Option<string?> RegularExpression(this Option<string?> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                try
                {
                    _ = new Regex(token.Value, RegexOptions.None, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException e)
                {
                    result.AddError($"{option.Name} {token.Value}: expected a regular expression ({e.Message})");
                }
            }
        });
        return option;
    }

    /// <summary>An existing directory (<c>--lib-dir</c>): a missing one is the user's to fix, not a runner failure.</summary>
    public static Option<string?> ExistingDirectory(this Option<string?> option, string expected)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => !Directory.Exists(t.Value)))
            {
                result.AddError($"{option.Name} {token.Value}: expected {expected}, but {(File.Exists(token.Value) ? "it is a file" : "it does not exist")}");
            }
        });
        return option;
    }

    /// <summary>
    /// A comma-separated list of integers, each at least <paramref name="minimum"/> (token ids, thread counts). The error
    /// names the option, the list and the item that is not one.
    /// </summary>
    public static Option<int[]?> IntList(string name, string description, int minimum, string what)
    {
        return new Option<int[]?>(name)
        {
            Description = description,
            CustomParser = result => Parse(result, name, minimum, what),
        };
    }

    /// <summary>The list given on the command line, or null when the option was not given (not an empty list).</summary>
    public static int[]? GivenList(this ParseResult parse, Option<int[]?> option)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : null;
    }

    private static int[]? Parse(ArgumentResult result, string name, int minimum, string what)
    {
        // Called for the option's implicit default as well, with no tokens: not given is null, not an empty list.
        if (result.Tokens.Count == 0)
        {
            return null;
        }

        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(',', result.Tokens.Select(t => t.Value));
        var items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0)
        {
            result.AddError($"{name} '{text}': expected one or more {what}, comma-separated");
            return null;
        }

        var values = new int[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            if (!int.TryParse(items[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out values[i]) || values[i] < minimum)
            {
                result.AddError($"{name} '{text}': '{items[i]}' is not one of the {what} (integers {minimum} or more, comma-separated)");
                return null;
            }
        }

        return values;
    }
}
