using System.Globalization;

namespace Parity.Runner;

/// <summary>
/// This process's memory as Linux accounts it (<c>/proc/self/status</c>): peak resident set (<c>VmHWM</c>: mapped model
/// pages count once touched) and anonymous resident memory (<c>RssAnon</c>: what the process allocated itself).
/// Zero where there is no procfs.
/// </summary>
public static class ProcessMemory
{
    public static long PeakResidentBytes => StatusKb("VmHWM") * 1024;

    public static long AnonymousResidentBytes => StatusKb("RssAnon") * 1024;

    /// <summary>Resets <see cref="PeakResidentBytes"/> to the current resident set (Linux: <c>clear_refs</c> value 5); false where that is not possible.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long StatusKb(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return 0;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
