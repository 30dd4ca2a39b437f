using System.Text;
using Parity.Dump;

namespace Parity.Harness.Runner;

/// <summary>
/// What the runner prints on stderr: progress lines go to <paramref name="progress"/> as <paramref name="phase"/>;
/// every other line is kept (up to a bound) for the result, and its last <paramref name="tailLines"/> for a failure.
/// Lines arrive on CliWrap's pipe thread while the caller may read the tail, hence the lock.
/// </summary>
internal sealed class RunnerStderr(int tailLines, int maxBytes, string phase, IProgress<WorkProgress>? progress)
{
    private readonly StringBuilder _all = new();
    private readonly Queue<string> _tail = new();

    public void Add(string line)
    {
        if (ProgressLine.TryParse(line, out var done, out var total, out var unit))
        {
            progress?.Report(new WorkProgress(phase, done, total, unit));
            return;
        }

        lock (_tail)
        {
            if (_all.Length < maxBytes)
            {
                _all.AppendLine(line);
            }

            _tail.Enqueue(line);
            while (_tail.Count > tailLines)
            {
                _tail.Dequeue();
            }
        }
    }

    public string Tail()
    {
        lock (_tail)
        {
            return string.Join('\n', _tail);
        }
    }

    public string All()
    {
        lock (_tail)
        {
            return _all.ToString();
        }
    }
}
