using System.Runtime.InteropServices;

namespace Parity.Tests.Fakes;

/// <summary>How the fake runner and the fake engine die as a native crash would: by a signal, not by an exception.</summary>
internal static partial class NativeCrash
{
    public static void Signal(int signal)
    {
        Console.Error.Flush();

        // The .NET runtime handles SIGSEGV itself; restore the default action so the process dies as a native crash would.
        _ = signal_default(signal, IntPtr.Zero);
        _ = kill(Environment.ProcessId, signal);
        Thread.Sleep(5000);
    }

    [LibraryImport("libc")]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial IntPtr signal_default(int signal, IntPtr handler);
}
