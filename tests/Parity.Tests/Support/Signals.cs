namespace Parity.Tests.Support;

/// <summary>How this test process was started, as far as signals go.</summary>
public static class Signals
{
    /// <summary>
    /// Whether SIGINT (bit 1 of /proc/self/status's SigIgn mask) is ignored in this process, and so in every process it
    /// starts: a shell without job control starts background commands that way.
    /// </summary>
    public static bool SigIntIgnored()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0x2) != 0;
    }
}
