namespace Parity.Dump;

/// <summary>
/// Writes a run directory atomically: everything goes to <c>RUN.tmp-&lt;pid&gt;-&lt;random&gt;</c> beside the target,
/// and <see cref="Complete"/> writes run.json and renames the whole directory to its final name, replacing an existing
/// run. Nothing half-written ever appears under the final name; a writer disposed without <see cref="Complete"/>
/// (a crash, a cancelled run) deletes its temporary directory.
/// </summary>
public sealed class DumpRunWriter : IDisposable
{
    private readonly List<string> _steps = [];
    private readonly DateTimeOffset _createdUtc;
    private DumpStepWriter? _open;
    private int _lastStep = -1;
    private bool _completed;
    private bool _disposed;

    private DumpRunWriter(string runDirectory, string temporaryDirectory, DumpRunInfo info, TimeProvider time)
    {
        RunDirectory = runDirectory;
        TemporaryDirectory = temporaryDirectory;
        Info = info;
        Time = time;
        _createdUtc = time.GetUtcNow();
    }

    /// <summary>The final run directory (full path).</summary>
    public string RunDirectory { get; }

    /// <summary>Where the run is written until it completes: a sibling of <see cref="RunDirectory"/>.</summary>
    public string TemporaryDirectory { get; }

    public DumpRunInfo Info { get; }

    /// <summary>Directory names of the steps completed so far.</summary>
    public IReadOnlyList<string> Steps => _steps;

    internal TimeProvider Time { get; }

    /// <summary>
    /// Starts a run that will appear at <paramref name="runDirectory"/> when completed. The parent directory is
    /// created if needed. <paramref name="timeProvider"/> stamps <c>createdUtc</c> (tests pin it).
    /// </summary>
    public static DumpRunWriter Create(string runDirectory, DumpRunInfo info, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        ArgumentNullException.ThrowIfNull(info);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("parity dumps are little-endian and this library does not byte-swap");
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDirectory));
        var parent = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"'{runDirectory}' is a root directory; a run needs a directory of its own", nameof(runDirectory));
        if (File.Exists(full))
        {
            throw new IOException($"{full} is a file; a run is written as a directory");
        }

        System.IO.Directory.CreateDirectory(parent);
        TemporaryOutput.SweepStale(full);

        // Beside the target, so the final rename stays on one file system (and so is a rename, not a copy).
        var temp = full + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        System.IO.Directory.CreateDirectory(temp);
        return new DumpRunWriter(full, temp, info, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// Starts step <paramref name="step"/> (0 = the prompt). Steps are written one at a time with increasing numbers;
    /// the step writer must be completed or disposed before the next one starts.
    /// </summary>
    public DumpStepWriter BeginStep(int step)
    {
        ThrowIfNotWriting();
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (_open is not null)
        {
            throw new InvalidOperationException($"step {_open.Step} is still being written; complete or dispose it before beginning step {step}");
        }

        if (step <= _lastStep)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"steps are written in increasing order; step {_lastStep} is already complete");
        }

        var directory = Path.Combine(TemporaryDirectory, DumpFormat.StepDirectoryName(step));
        System.IO.Directory.CreateDirectory(directory);
        _open = new DumpStepWriter(this, step, directory);
        return _open;
    }

    /// <summary>
    /// Writes run.json and moves the run to <see cref="RunDirectory"/>, replacing a previous run there.
    /// Needs at least one completed step and no step still open.
    /// </summary>
    public RunManifest Complete(IReadOnlyList<int> generatedTokens)
    {
        ThrowIfNotWriting();
        ArgumentNullException.ThrowIfNull(generatedTokens);
        if (_open is not null)
        {
            throw new InvalidOperationException($"step {_open.Step} is still being written; complete or dispose it before completing the run");
        }

        if (_steps.Count == 0)
        {
            throw new InvalidOperationException("a run needs at least one completed step");
        }

        var manifest = new RunManifest
        {
            Producer = Info.Producer,
            Model = Info.Model,
            Prompt = Info.Prompt,
            Options = Info.Options,
            CreatedUtc = _createdUtc,
            Steps = [.. _steps],
            GeneratedTokens = [.. generatedTokens],
            Notes = Info.Notes,
        };
        DumpJson.Write(Path.Combine(TemporaryDirectory, DumpFormat.RunManifestFileName), manifest);
        TemporaryOutput.Publish(TemporaryDirectory, RunDirectory);
        _completed = true;
        return manifest;
    }

    /// <summary>Without <see cref="Complete"/>, deletes the temporary directory and everything in it.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_completed)
        {
            _open?.Dispose();
            TryDeleteDirectory(TemporaryDirectory);
        }
    }

    internal void OnStepClosed(DumpStepWriter step, bool completed)
    {
        if (!ReferenceEquals(step, _open))
        {
            return;
        }

        _open = null;
        if (completed)
        {
            _steps.Add(DumpFormat.StepDirectoryName(step.Step));
            _lastStep = step.Step;
        }
    }

    /// <summary>Best effort: cleanup must not hide the exception that made it necessary.</summary>
    internal static void TryDeleteDirectory(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path))
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void ThrowIfNotWriting()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            throw new InvalidOperationException($"the run {RunDirectory} is already complete");
        }
    }
}
