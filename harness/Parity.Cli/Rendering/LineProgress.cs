using System.Globalization;
using Parity.Harness;

namespace Parity.Cli.Rendering;

/// <summary>
/// Progress as plain <c>[parity]</c> lines, for a log or a pipe: a line when a phase starts, then one per tenth of
/// the way (a 64-step dump is a dozen lines, not 64), or with <paramref name="phaseStartsOnly"/> (<c>--quiet</c>)
/// only the line when a phase starts.
/// </summary>
public sealed class LineProgress(TextWriter stderr, bool phaseStartsOnly) : IProgress<WorkProgress>
{
    private readonly Lock _lock = new();
    private string? _phase;
    private long _done = -1;
    private long _tenth = -1;

    public void Report(WorkProgress value)
    {
        lock (_lock)
        {
            var starts = value.Phase != _phase || value.Done < _done;
            var tenth = value.Total is > 0 and var total ? value.Done * 10 / total : -1;
            (_phase, _done) = (value.Phase, value.Done);
            if (!starts && (phaseStartsOnly || tenth <= _tenth))
            {
                return;
            }

            _tenth = tenth;
            stderr.WriteLine("[parity] " + Describe(value));
        }
    }

    /// <summary>"llama.cpp dump: 3/9 step", with what it is on in parentheses.</summary>
    public static string Describe(WorkProgress value)
    {
        var detail = value.Detail is null ? string.Empty : $" ({value.Detail})";
        return value.Total is { } total
            ? string.Create(CultureInfo.InvariantCulture, $"{value.Phase}: {value.Done}/{total} {value.Unit}{detail}")
            : value.Phase + detail;
    }
}
