using System.Globalization;
using Parity.Gguf;

namespace Parity.Harness.Runner;

/// <summary>
/// Refuses, before either side runs, a comparison that cannot fit: every prompt token and decode step needs a position
/// in the context (the model's trained context unless <c>--ctx</c> says otherwise), both dumps must fit the disk and
/// <c>--max-dump-size</c>, and each side must fit the machine's memory. Checked on the token ids, so a 100 KB prompt
/// is refused in the time it takes to tokenize it rather than after llama.cpp has grown to fill the machine.
/// </summary>
public static class RunLimits
{
    /// <summary>The default <c>--max-dump-size</c>: both sides' dumps together.</summary>
    public const long DefaultMaxDumpBytes = 4L << 30;

    /// <summary>How the limits name what the user gave: the prompt and the decode steps.</summary>
    public sealed record Labels(string Prompt, string Steps);

    /// <summary>Checks the context only (no dump is written: <c>bench</c>).</summary>
    public static void CheckContext(string modelPath, int promptTokens, int steps, int contextSize = 0, Labels? labels = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        labels ??= new Labels($"{promptTokens} prompt token(s)", $"--steps {steps}");
        if (steps < 0)
        {
            throw new ArgumentException($"{labels.Steps}: expected 0 or more decode steps");
        }

        if (promptTokens == 0)
        {
            throw new ArgumentException("the prompt has no tokens: give --prompt TEXT or --tokens IDS with at least one id");
        }

        var needed = (long)promptTokens + steps;
        if (contextSize > 0)
        {
            if (needed > contextSize)
            {
                throw new ArgumentException($"{labels.Prompt} and {labels.Steps} need {needed} positions, but --ctx is {contextSize}");
            }

            return;
        }

        using var file = GgufFile.Open(modelPath);
        var context = LlamaHyperparameters.Read(file).ContextLength;
        if (needed > context)
        {
            throw new ArgumentException(
                $"{labels.Prompt} and {labels.Steps} need {needed} positions, but {modelPath} was trained for a context of {context} (llama.context_length); give --ctx N to run past it");
        }
    }

    /// <summary>
    /// Checks everything a comparison that dumps <paramref name="sides"/> into <paramref name="outputDirectory"/> needs;
    /// returns the estimate it judged by.
    /// </summary>
    public static RunEstimate Check(string modelPath, int promptTokens, int steps, string outputDirectory, int contextSize = 0, long maxDumpBytes = DefaultMaxDumpBytes, DumpSides sides = DumpSides.Both)
    {
        ArgumentNullException.ThrowIfNull(outputDirectory);
        CheckContext(modelPath, promptTokens, steps, contextSize);
        var cells = contextSize > 0 ? contextSize : (long)promptTokens + steps;
        var context = Math.Max(256, (cells + 255) / 256 * 256);
        var estimate = RunEstimate.For(modelPath, promptTokens, steps, context);
        var shape = $"{promptTokens} prompt token(s) and --steps {steps}";
        var memory = Math.Max(estimate.RunnerMemoryBytes, estimate.EngineMemoryBytes);
        if (AvailableMemoryBytes() is { } available && memory > available)
        {
            var side = estimate.RunnerMemoryBytes >= estimate.EngineMemoryBytes ? "llama.cpp" : "the engine";
            throw new ArgumentException($"{shape} (context {context}) need about {Size(memory)} of memory for {side}, but only {Size(available)} is available");
        }

        var dump = (sides.HasFlag(DumpSides.Engine) ? estimate.EngineDumpBytes : 0) + (sides.HasFlag(DumpSides.Reference) ? estimate.ReferenceDumpBytes : 0);
        if (dump > maxDumpBytes)
        {
            throw new ArgumentException($"{shape} would dump about {Size(dump)} ({Describe(sides)}), over --max-dump-size {Size(maxDumpBytes)}; give fewer steps or a larger --max-dump-size");
        }

        if (FreeBytes(outputDirectory) is { } free && dump > free)
        {
            throw new ArgumentException($"{shape} would dump about {Size(dump)} into {outputDirectory}, but only {Size(free)} is free there");
        }

        return estimate;
    }

    private static string Describe(DumpSides sides) => sides switch
    {
        DumpSides.Engine => "the engine's dump",
        DumpSides.Reference => "llama.cpp's dump",
        _ => "llama.cpp's and the engine's dumps",
    };

    /// <summary>Parses <c>--max-dump-size</c>: bytes, or a number with KB, MB, GB or TB (powers of 1024).</summary>
    public static long ParseSize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var units = new (string Suffix, long Factor)[] { ("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10), ("B", 1) };
        var unit = units.FirstOrDefault(u => trimmed.EndsWith(u.Suffix, StringComparison.OrdinalIgnoreCase), (Suffix: string.Empty, Factor: 1L));
        var (suffix, factor) = (unit.Suffix, unit.Factor);
        var number = trimmed[..^suffix.Length].Trim();
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0 || value * factor > long.MaxValue)
        {
            throw new FormatException($"'{text}': expected a size such as 4GB, 500MB or a byte count");
        }

        return (long)(value * factor);
    }

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F0} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F0} KB"),
    };

    private static long? FreeBytes(string directory)
    {
        var existing = Path.GetFullPath(directory);
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        try
        {
            return new DriveInfo(existing).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>MemAvailable from /proc/meminfo: what the kernel can hand out without swapping; null where unknown.</summary>
    private static long? AvailableMemoryBytes()
    {
        const string MemInfo = "/proc/meminfo";
        if (!File.Exists(MemInfo))
        {
            return null;
        }

        var line = File.ReadLines(MemInfo).FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
        return long.TryParse(kb, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value * 1024 : null;
    }
}
