namespace Parity.Dump;

/// <summary>
/// A run directory, opened for reading. Opening reads and validates run.json and checks that every listed step
/// directory exists; steps themselves are opened lazily by <see cref="OpenStep"/> (each maps a file, and a diff
/// usually walks them one at a time), so a corrupt step is reported when it is opened.
/// </summary>
public sealed class DumpRun
{
    private DumpRun(string directory, RunManifest manifest, IReadOnlyList<int> stepNumbers)
    {
        Directory = directory;
        Manifest = manifest;
        StepNumbers = stepNumbers;
    }

    /// <summary>The run directory as the caller spelled it.</summary>
    public string Directory { get; }

    public RunManifest Manifest { get; }

    /// <summary>Step directory names in order.</summary>
    public IReadOnlyList<string> StepNames => Manifest.Steps;

    /// <summary>Step numbers in order (parsed from <see cref="StepNames"/>).</summary>
    public IReadOnlyList<int> StepNumbers { get; }

    public int StepCount => Manifest.Steps.Count;

    public IReadOnlyList<int> GeneratedTokens => Manifest.GeneratedTokens;

    public static DumpRun Open(string runDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        if (!System.IO.Directory.Exists(runDirectory))
        {
            throw new DumpFormatException(runDirectory, "", "run directory missing");
        }

        var path = Path.Combine(runDirectory, DumpFormat.RunManifestFileName);
        var manifest = DumpJson.Read(path, "run manifest", ManifestBinder.BindRun);
        if (manifest.Steps.Count == 0)
        {
            throw new DumpFormatException(path, "steps", "empty; a run has at least one step");
        }

        var numbers = new int[manifest.Steps.Count];
        for (var i = 0; i < numbers.Length; i++)
        {
            var name = manifest.Steps[i];
            if (DumpFormat.ParseStepDirectoryName(name) is not { } step)
            {
                throw new DumpFormatException(path, $"steps[{i}]", $"\"{name}\" is not a step directory name (step-0000, step-0001, ...)");
            }

            if (i > 0 && step <= numbers[i - 1])
            {
                throw new DumpFormatException(path, $"steps[{i}]", $"\"{name}\" is out of order: steps are listed in increasing order");
            }

            if (!System.IO.Directory.Exists(Path.Combine(runDirectory, name)))
            {
                throw new DumpFormatException(Path.Combine(runDirectory, name), "", $"step directory missing (listed as steps[{i}] in {DumpFormat.RunManifestFileName})");
            }

            numbers[i] = step;
        }

        return new DumpRun(runDirectory, manifest, numbers);
    }

    public string GetStepDirectory(int index) => Path.Combine(Directory, Manifest.Steps[index]);

    /// <summary>Opens the <paramref name="index"/>-th step (in <see cref="StepNames"/> order); the caller disposes it.</summary>
    public DumpStep OpenStep(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, StepCount);
        var step = DumpStep.Open(GetStepDirectory(index));
        if (step.Step != StepNumbers[index])
        {
            var manifestPath = Path.Combine(step.Directory, DumpFormat.StepManifestFileName);
            step.Dispose();
            throw new DumpFormatException(manifestPath, "step", $"expected {StepNumbers[index]} (the directory is {StepNames[index]}), found {step.Manifest.Step}");
        }

        return step;
    }
}
