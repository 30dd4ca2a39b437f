using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Parity.Harness.Suites;

/// <summary>
/// Swaps two directories in one step with Linux's <c>renameat2(RENAME_EXCHANGE)</c>: at every instant each path holds
/// either the old tree or the new one, whole. That is what lets <c>parity regen</c> be killed at any point and leave
/// the previous goldens byte-identical.
/// </summary>
public static partial class DirectoryExchange
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;

    /// <summary>
    /// Puts <paramref name="replacement"/> at <paramref name="target"/>; afterwards <paramref name="replacement"/>
    /// holds the previous tree (or does not exist when <paramref name="target"/> did not).
    /// </summary>
    public static void Exchange(string replacement, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(replacement, target);
            return;
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("an atomic directory exchange needs Linux's renameat2");
        }

        if (Renameat2(AtFdCwd, Path.GetFullPath(replacement), AtFdCwd, Path.GetFullPath(target), RenameExchange) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot exchange {replacement} and {target} atomically: {new Win32Exception(errno).Message} (errno {errno}); the previous tree is untouched");
        }
    }

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Renameat2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);
}
