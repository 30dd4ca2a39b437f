using Parity.Dump;

namespace Parity.Harness.Engine;

/// <summary>
/// What an external engine's dump must be to be compared: a Parity dump that opens and validates, with one step per
/// asked step, the request's prompt, and in every step the token the request implies (the teacher's, or the engine's
/// own greedy choice of the step before).
/// </summary>
public static class ExternalDumpCheck
{
    /// <summary>The first problem with the dump at <paramref name="directory"/>, or null when it is what <paramref name="call"/> asked.</summary>
    public static string? Problem(string directory, EngineDumpCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (!Directory.Exists(directory))
        {
            return $"exited 0 without writing a dump to {directory}";
        }

        try
        {
            var run = DumpRun.Open(directory);
            var expected = call.Request.Steps + 1;
            if (run.StepCount != expected)
            {
                return $"its dump has {run.StepCount} step(s); the request asked for {expected} (the prompt and {call.Request.Steps} decode step(s))";
            }

            if (!run.Manifest.Prompt.Tokens.SequenceEqual(call.Tokens))
            {
                return $"its dump's prompt is [{Join(run.Manifest.Prompt.Tokens)}], not the request's [{Join(call.Tokens)}]";
            }

            var teacher = call.TeacherTokens ?? call.ForceFrom?.GeneratedTokens;
            for (var i = 0; i < run.StepCount; i++)
            {
                using var step = run.OpenStep(i);
                IReadOnlyList<int> want = i == 0 ? call.Tokens : [teacher is null ? run.GeneratedTokens[i - 1] : teacher[i - 1]];
                if (!step.Manifest.Tokens.SequenceEqual(want))
                {
                    return $"step {i} of its dump ran tokens [{Join(step.Manifest.Tokens)}], expected [{Join(want)}]";
                }
            }

            return null;
        }
        catch (Exception e) when (e is DumpFormatException or IOException or InvalidDataException or ArgumentOutOfRangeException)
        {
            return "its dump is not a valid Parity dump: " + e.Message;
        }
    }

    private static string Join(IEnumerable<int> tokens) => string.Join(' ', tokens);
}
