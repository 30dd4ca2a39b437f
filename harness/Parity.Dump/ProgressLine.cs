using System.Globalization;
using System.Text.RegularExpressions;

namespace Parity.Dump;

/// <summary>
/// The line parity-runner prints on stderr to say how far a verb is, <c>[progress] 3/9 step</c>. The harness turns
/// these into progress and keeps them out of the stderr tail it reports when the runner fails.
/// </summary>
public static partial class ProgressLine
{
    public static string Format(long done, long total, string unit) =>
        string.Create(CultureInfo.InvariantCulture, $"[progress] {done}/{total} {unit}");

    public static bool TryParse(string line, out long done, out long total, out string unit)
    {
        ArgumentNullException.ThrowIfNull(line);
        var m = Pattern().Match(line);
        done = m.Success ? long.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0;
        total = m.Success ? long.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture) : 0;
        unit = m.Success ? m.Groups[3].Value : string.Empty;
        return m.Success;
    }

    [GeneratedRegex(@"^\[progress\] (\d{1,18})/(\d{1,18}) (\w+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
