using System.Diagnostics;
using System.Globalization;

namespace Parity.Dump;

/// <summary>
/// Output written beside its target as <c>TARGET.tmp-PID[-suffix]</c> and renamed into place when complete. A process
/// killed before the rename (SIGKILL, power loss) cannot clean up after itself, so whoever next writes the same target
/// removes what dead processes left.
/// </summary>
public static class TemporaryOutput
{
    /// <summary>Removes <c>TARGET.tmp-PID*</c> entries beside <paramref name="target"/> whose process no longer runs.</summary>
    public static void SweepStale(string target)
    {
        var (dir, prefix) = Split(target);
        if (dir is null)
        {
            return;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, prefix + "*"))
        {
            var pidText = Path.GetFileName(entry)[prefix.Length..].Split('-')[0];
            if (int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !IsRunning(pid))
            {
                Remove(target, pid);
            }
        }
    }

    /// <summary>Removes <c>TARGET.tmp-PID</c> and <c>TARGET.tmp-PID-*</c> (not <c>TARGET.tmp-PID0</c>: another process).</summary>
    public static void Remove(string target, int processId)
    {
        var (dir, prefix) = Split(target);
        if (dir is null)
        {
            return;
        }

        var stem = prefix + processId.ToString(CultureInfo.InvariantCulture);
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, stem + "*"))
        {
            var name = Path.GetFileName(entry);
            if (name.Length > stem.Length && name[stem.Length] != '-')
            {
                continue;
            }

            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }
    }

    /// <summary>
    /// Renames the complete directory <paramref name="temporary"/> to <paramref name="target"/>, replacing a previous
    /// run there. Directory renames cannot overwrite, so the old run steps aside first: between the two renames the
    /// final name is briefly absent, never partial, and if the second rename fails the old run goes back.
    /// </summary>
    public static void Publish(string temporary, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(temporary, target);
            return;
        }

        var aside = target + ".old-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        Directory.Move(target, aside);
        try
        {
            Directory.Move(temporary, target);
        }
        catch
        {
            Directory.Move(aside, target);
            throw;
        }

        try
        {
            Directory.Delete(aside, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The new run is in place; a leftover old copy is only disk space.
        }
    }

    private static (string? Directory, string Prefix) Split(string target)
    {
        var full = Path.GetFullPath(target);
        var dir = Path.GetDirectoryName(full);
        return (dir is not null && Directory.Exists(dir) ? dir : null, Path.GetFileName(full) + ".tmp-");
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
