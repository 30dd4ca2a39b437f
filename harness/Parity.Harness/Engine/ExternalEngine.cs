using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using CliWrap;
using Parity.Dump;
using Parity.Harness.Compare;
using Parity.Harness.Runner;

namespace Parity.Harness.Engine;

/// <summary>
/// An engine in another process that speaks the parity-engine protocol (docs/external-engines.md): asked once what it
/// can do, then run once per dump with a request file. Like the llama.cpp runner it is kept at arm's length: a crash,
/// a hang (its whole process tree is killed), a non-zero exit or a dump that is not what was asked is an
/// <see cref="ExternalEngineException"/> naming the engine and its stderr tail, and what it wrote is removed.
/// </summary>
public sealed class ExternalEngine : IEngineUnderTest
{
    public const string Protocol = "parity-engine";
    public const int ProtocolVersion = 1;

    /// <summary>The protocol's exit code for "this engine does not implement what the request asks".</summary>
    public const int RefusalExitCode = 3;

    private const int StderrTailLines = 20;
    private const int MaxStderrBytes = 1 << 20;

    private readonly ExternalEngineConfig _config;

    private ExternalEngine(ExternalEngineConfig config, ExternalEngineCapabilities capabilities, NameMap? names)
    {
        _config = config;
        Capabilities = capabilities;
        Names = names;
    }

    public ExternalEngineCapabilities Capabilities { get; }

    public string Name => Capabilities.Name;

    public NameMap? Names { get; }

    public bool CanTeacherForce => Capabilities.TeacherForcing;

    public bool FollowsFlashAttention => Capabilities.FlashAttention;

    public ExternalEngineConfig Config => _config;

    /// <summary>Loads the name map (bad input before anything runs), then asks the engine for its capabilities.</summary>
    public static async Task<ExternalEngine> ConnectAsync(ExternalEngineConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var names = config.NameMapPath is null ? null : NameMap.Load(config.NameMapPath);
        var work = WorkDirectory();
        try
        {
            var response = Path.Combine(work, "capabilities.json");
            var request = WriteRequest(work, "capabilities", w => w.WriteString("response", response));
            var commandLine = await InvokeAsync(config, config.DisplayName, request, null, cancellationToken).ConfigureAwait(false);
            var (answer, problem) = ExternalEngineCapabilities.Read(response);
            return answer is not null
                ? new ExternalEngine(config, answer, names)
                : throw new ExternalEngineException(ExternalEngineFailure.InvalidOutput, config.DisplayName, commandLine, 0, string.Empty, problem!);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>An external engine says what it does not implement when asked to run it (protocol exit 3).</summary>
    public void CheckSupported(string modelPath)
    {
    }

    /// <summary>An external engine says what it does not implement when asked to run it (protocol exit 3).</summary>
    public void CheckSupported(LlamaCppDecodeOptions decode, int promptTokens)
    {
    }

    public async Task<DumpResult> DumpAsync(EngineDumpCall run, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.ForceFrom is not null && !CanTeacherForce)
        {
            throw new ArgumentException($"engine {Name} does not honour teacher forcing (its capabilities say teacherForcing: false), which this needs");
        }

        var final = Path.TrimEndingDirectorySeparator(Path.GetFullPath(run.Request.OutputDirectory));
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        TemporaryOutput.SweepStale(final);
        var temp = final + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-engine";
        DeleteIfPresent(temp);
        var work = WorkDirectory();
        try
        {
            var request = WriteRequest(work, "dump", w => DumpMembers(w, run, temp));
            var commandLine = await InvokeAsync(_config, Name, request, progress, cancellationToken).ConfigureAwait(false);
            if (ExternalDumpCheck.Problem(temp, run) is { } problem)
            {
                throw new ExternalEngineException(ExternalEngineFailure.InvalidOutput, Name, commandLine, 0, string.Empty, problem);
            }

            TemporaryOutput.Publish(temp, final);
        }
        finally
        {
            DeleteIfPresent(temp);
            Directory.Delete(work, recursive: true);
        }

        var dump = DumpRun.Open(final);
        return new DumpResult(final, dump.Manifest.Prompt.Tokens, dump.GeneratedTokens);
    }

    public Task<IEngineTimer> OpenTimerAsync(Bench.BenchOptions options, int threads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Capabilities.Bench
            ? Task.FromResult<IEngineTimer>(new ExternalEngineTimer(this, options, threads))
            : throw new ArgumentException($"engine {Name} cannot be timed: its capabilities do not offer the bench action (bench: true)");
    }

    /// <summary>One <c>bench</c> call: the engine's own seconds for the prompt and the generation (its last repetition), and its peak RSS.</summary>
    internal async Task<(double Prompt, double Gen, long PeakRss)> BenchAsync(string model, IReadOnlyList<int> context, IReadOnlyList<int> prompt, int genTokens, int threads, CancellationToken cancellationToken)
    {
        var work = WorkDirectory();
        try
        {
            var response = Path.Combine(work, "bench.json");
            var request = WriteRequest(work, "bench", w =>
            {
                w.WriteString("model", Path.GetFullPath(model));
                Ints(w, "context", context);
                Ints(w, "tokens", prompt);
                w.WriteNumber("genTokens", genTokens);
                w.WriteNumber("threads", threads);
                w.WriteNumber("repetitions", 2);
                w.WriteString("response", response);
            });
            var commandLine = await InvokeAsync(_config, Name, request, null, cancellationToken).ConfigureAwait(false);
            var (answer, problem) = ExternalBenchAnswer.Read(response);
            return answer ?? throw new ExternalEngineException(ExternalEngineFailure.InvalidOutput, Name, commandLine, 0, string.Empty, problem!);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void DumpMembers(Utf8JsonWriter w, EngineDumpCall call, string output)
    {
        var decode = call.Request.Decode;
        w.WriteString("model", Path.GetFullPath(call.Request.ModelPath));
        Ints(w, "tokens", call.Tokens);
        w.WriteNumber("steps", call.Request.Steps);
        var teacher = call.TeacherTokens ?? call.ForceFrom?.GeneratedTokens;
        Ints(w, "teacherTokens", teacher?.Take(call.Request.Steps).ToList());
        w.WriteNumber("threads", decode.Threads);
        var cells = decode.ContextSize > 0 ? decode.ContextSize : call.Tokens.Count + call.Request.Steps;
        var contextSize = Math.Max(256, (cells + 255) / 256 * 256);
        w.WriteNumber("contextSize", contextSize);
        w.WriteString("output", output);
        Options(w, call, contextSize);
        w.WriteString("forceFrom", call.ForceFrom?.Directory);
        Strings(w, "force", call.ForceFrom is { } from && call.Force is { } force ? ForcedKeys(from, force) : null);
    }

    // The configuration llama.cpp ran the reference with, as a dump's options spell it: the engine records it (or refuses).
    private static void Options(Utf8JsonWriter w, EngineDumpCall run, int contextSize)
    {
        var decode = run.Request.Decode;
        w.WriteStartObject("options");
        w.WriteNumber("threads", decode.Threads);
        w.WriteBoolean("flashAttention", decode.FlashAttention);
        w.WriteString("typeK", decode.CacheTypeK);
        w.WriteString("typeV", decode.CacheTypeV);
        w.WriteBoolean("repack", decode.Repack);
        w.WriteNumber("nCtx", contextSize);
        w.WriteNumber("nBatch", run.Tokens.Count);
        w.WriteBoolean("outputAll", true);
        w.WriteEndObject();
    }

    // The keys of every tensor of the forcing dump whose name is selected, in first-seen order.
    private static List<string> ForcedKeys(DumpRun from, Func<string, bool> force)
    {
        var keys = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < from.StepCount; i++)
        {
            using var step = from.OpenStep(i);
            foreach (var e in step.Tensors.Where(e => force(e.Key) && seen.Add(e.Key)))
            {
                keys.Add(e.Key);
            }
        }

        return keys;
    }

    private static string WriteRequest(string directory, string action, Action<Utf8JsonWriter> members)
    {
        var path = Path.Combine(directory, "request.json");
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("protocol", Protocol);
        w.WriteNumber("protocolVersion", ProtocolVersion);
        w.WriteString("action", action);
        members(w);
        w.WriteEndObject();
        return path;
    }

    /// <summary>Runs the engine on one request; returns its command line, or throws for anything but exit 0.</summary>
    private static async Task<string> InvokeAsync(ExternalEngineConfig config, string name, string requestPath, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var args = config.Command.Skip(1).Append(requestPath).ToList();
        var commandLine = string.Join(' ', config.Command.Append(requestPath).Select(Quote));
        var stderr = new RunnerStderr(StderrTailLines, MaxStderrBytes, "engine " + name, progress);
        progress?.Report(WorkProgress.Started("engine " + name));
        var command = Cli.Wrap(config.Command[0])
            .WithArguments(args)
            .WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(env =>
            {
                foreach (var (k, v) in config.Environment)
                {
                    env.Set(k, v);
                }
            })
            .WithStandardOutputPipe(PipeTarget.Null)
            .WithStandardErrorPipe(PipeTarget.ToDelegate(stderr.Add));
        using var timeout = new CancellationTokenSource(config.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        CommandResult result;
        try
        {
            result = await command.ExecuteAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ExternalEngineException(ExternalEngineFailure.Timeout, name, commandLine, null, stderr.Tail(), $"no exit after {config.Timeout.TotalSeconds:F0} s (--engine-timeout); its process tree was killed", e);
        }
        catch (Win32Exception e)
        {
            throw new ExternalEngineException(ExternalEngineFailure.CannotStart, name, commandLine, null, string.Empty, $"cannot start {config.Command[0]}: {e.Message}", e);
        }

        return result.ExitCode switch
        {
            0 => commandLine,
            RefusalExitCode => throw new EngineRefusedException(name, Reason(stderr.Tail())),
            > 128 and < 160 => throw new ExternalEngineException(ExternalEngineFailure.Crash, name, commandLine, result.ExitCode, stderr.Tail(), "crashed"),
            _ => throw new ExternalEngineException(ExternalEngineFailure.NonZeroExit, name, commandLine, result.ExitCode, stderr.Tail(), "failed"),
        };
    }

    private static string Reason(string tail)
    {
        var lines = tail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "no reason given on stderr (exit 3)" : string.Join(" / ", lines.TakeLast(3));
    }

    private static string WorkDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), $"parity-engine-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static void DeleteIfPresent(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    private static void Ints(Utf8JsonWriter w, string name, IReadOnlyList<int>? values)
    {
        if (values is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static string Quote(string word) => word.Length > 0 && word.All(c => char.IsLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '=' or ':') ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
