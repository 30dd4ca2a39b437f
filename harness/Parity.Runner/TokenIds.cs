using System.Globalization;

namespace Parity.Runner;

/// <summary>Parses token id lists given on the command line: "1,15043,29892" (spaces allowed).</summary>
internal static class TokenIds
{
    public static int[] Parse(string text)
    {
        var parts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            throw new RunnerException(RunnerExitCodes.BadInput, "no token ids given");
        }

        return [.. parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new RunnerException(RunnerExitCodes.BadInput, $"'{p}' is not a token id"))];
    }
}
