namespace Parity.Tests.Support;

/// <summary>Waiting for a killed process to be gone.</summary>
internal static class ProcessTree
{
    public static bool WaitUntilGone(int pid)
    {
        for (var i = 0; i < 100; i++)
        {
            // A killed child may linger as a zombie until reaped; /proc/PID/stat's state 'Z' counts as gone.
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat))
            {
                return true;
            }

            try
            {
                var text = File.ReadAllText(stat);
                var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
                if (state is "Z" or "X")
                {
                    return true;
                }
            }
            catch (IOException)
            {
                return true;
            }

            Thread.Sleep(100);
        }

        return false;
    }
}
