using System.Runtime.InteropServices;

namespace Parity.Runner;

/// <summary>
/// Ends the runner when the process that started it is gone, however it went (SIGKILL included), so llama.cpp never
/// keeps computing and writing for nobody. Linux re-parents an orphan (to init or a subreaper), which <c>getppid</c>
/// shows; a watch thread polls it. <c>PR_SET_PDEATHSIG</c> is not used because it fires when the parent's forking
/// thread exits, and .NET may start children from pool threads that retire while the parent lives.
/// </summary>
internal static partial class ParentWatch
{
    /// <summary>Set by the harness to its own PID, so a parent that died before the watch started is noticed too.</summary>
    public const string ParentPidVariable = "PARITY_PARENT_PID";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    public static void Start()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var parent = int.TryParse(Environment.GetEnvironmentVariable(ParentPidVariable), out var expected) ? expected : getppid();
        if (getppid() != parent)
        {
            Die();
        }

        var thread = new Thread(() =>
        {
            while (getppid() == parent)
            {
                Thread.Sleep(Interval);
            }

            Die();
        })
        { IsBackground = true, Name = "parent watch" };
        thread.Start();
    }

    private static void Die()
    {
        Console.Error.WriteLine("parity-runner: the process that started this runner is gone; stopping");

        // Immediately, without unwinding: llama.cpp's threads may be mid-computation. Temporary output is swept by the
        // next harness run that writes beside it.
        _exit(RunnerExitCodes.Orphaned);
    }

    [LibraryImport("libc")]
    private static partial int getppid();

    [LibraryImport("libc")]
    private static partial void _exit(int status);
}
