using Parity.Harness;
using Spectre.Console;

namespace Parity.Cli.Rendering;

/// <summary>
/// Progress on a Spectre.Console live display: one row per running phase with its bar, percentage and remaining time.
/// A phase's row goes when it completes; a phase of unknown size ends when another phase reports; a phase that
/// starts over (a second quantization, the next case's dump) gets a new row.
/// </summary>
public sealed class LiveProgress(ProgressContext context) : IProgress<WorkProgress>
{
    private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

    public void Report(WorkProgress value)
    {
        lock (_tasks)
        {
            var task = Row(value);
            task.Description = Markup.Escape(LineProgress.Describe(value));
            task.IsIndeterminate = value.Total is null;
            if (value.Total is { } total)
            {
                task.MaxValue = Math.Max(total, 1);
                task.Value = value.Done;
                if (value.Done >= total)
                {
                    task.StopTask();
                }
            }

            foreach (var other in _tasks.Values.Where(t => t != task && t.IsIndeterminate && !t.IsFinished))
            {
                other.StopTask();
            }
        }
    }

    private ProgressTask Row(WorkProgress value)
    {
        if (_tasks.TryGetValue(value.Phase, out var task) && !task.IsFinished && value.Done >= task.Value)
        {
            return task;
        }

        task?.StopTask();
        return _tasks[value.Phase] = context.AddTask(value.Phase, maxValue: Math.Max(value.Total ?? 1, 1));
    }
}
