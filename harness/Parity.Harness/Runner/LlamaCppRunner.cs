using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CliWrap;
using Parity.Dump;

namespace Parity.Harness.Runner;

/// <summary>
/// llama.cpp, driven as a separate process (parity-runner) with CliWrap, so a native abort or segfault can never take
/// the harness down. Every call either returns the runner's JSON result or throws a
/// <see cref="LlamaCppRunnerException"/> naming the command line, the exit code or signal and the tail of stderr.
/// Timeouts and cancellation kill the runner's whole process tree, and any temporary output it left is removed.
/// </summary>
public sealed class LlamaCppRunner
{
    private const int MaxStdoutBytes = 16 << 20;

    public LlamaCppRunner(LlamaCppRunnerOptions options)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    public LlamaCppRunnerOptions Options { get; }

    public static LlamaCppRunner CreateDefault() => new(LlamaCppRunnerOptions.Default());

    public LlamaCppRunner WithLibraryDirectory(string? directory) => new(Options with { LibraryDirectory = directory });

    public LlamaCppRunner WithVariant(string? variant) => new(Options with { Variant = variant });

    public LlamaCppRunner WithTimeout(TimeSpan timeout) => new(Options with { Timeout = timeout });

    public LlamaCppRunner WithEnvironment(string name, string value) =>
        new(Options with { Environment = new Dictionary<string, string>(Options.Environment) { [name] = value } });

    /// <summary>
    /// Runs one verb. <paramref name="outputPath"/> names the file or directory the verb writes, so temporary
    /// output (<c>OUT.tmp-PID*</c>) can be removed when the runner dies before renaming it into place. The verb's
    /// progress lines are reported to <paramref name="progress"/> as phase "llama.cpp VERB".
    /// </summary>
    public async Task<RunnerResult> RunAsync(string verb, IEnumerable<string> arguments, string? outputPath = null, string? standardInput = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(verb);
        ArgumentNullException.ThrowIfNull(arguments);
        var args = new List<string>();
        var program = Options.RunnerPath;
        if (program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            args.Add(program);
            program = "dotnet";
        }

        args.Add(verb);
        args.AddRange(arguments);
        if (Options.LibraryDirectory is not null)
        {
            args.AddRange(["--lib-dir", Options.LibraryDirectory]);
        }

        if (Options.Variant is not null)
        {
            args.AddRange(["--variant", Options.Variant]);
        }

        var commandLine = program + " " + string.Join(' ', args.Select(Quote));
        if (Options.RunnerPath.Contains('/', StringComparison.Ordinal) && !File.Exists(Options.RunnerPath))
        {
            throw new LlamaCppRunnerException(RunnerFailureKind.CannotStart, commandLine, null, string.Empty, $"the runner {Options.RunnerPath} does not exist (build harness/Parity.Runner, or set PARITY_RUNNER)");
        }

        if (outputPath is not null)
        {
            TemporaryOutput.SweepStale(outputPath);
        }

        var stdout = new StringBuilder();
        var stdoutOverflow = false;

        // Under way from the start: the runner's first progress line comes only after its start-up and model load.
        progress?.Report(WorkProgress.Started("llama.cpp " + verb));
        var stderr = new RunnerStderr(Options.StderrTailLines, MaxStdoutBytes, "llama.cpp " + verb, progress);
        var command = Cli.Wrap(program)
            .WithArguments(args)
            .WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(env =>
            {
                env.Set("GGML_NO_BACKTRACE", "1");
                env.Set("PARITY_PARENT_PID", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
                foreach (var (k, v) in Options.Environment)
                {
                    env.Set(k, v);
                }
            })
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                if (stdout.Length + line.Length > MaxStdoutBytes)
                {
                    stdoutOverflow = true;
                    return;
                }

                stdout.AppendLine(line);
            }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(stderr.Add));
        if (standardInput is not null)
        {
            command = command.WithStandardInputPipe(PipeSource.FromString(standardInput));
        }

        using var timeout = new CancellationTokenSource(Options.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var started = Stopwatch.StartNew();
        int? processId = null;
        CommandResult result;
        try
        {
            var task = command.ExecuteAsync(linked.Token);
            processId = task.ProcessId;
            result = await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            RemoveTemporaryOutput(outputPath, processId);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new LlamaCppRunnerException(RunnerFailureKind.Timeout, commandLine, null, stderr.Tail(), $"no result after {Options.Timeout.TotalSeconds:F0} s; the runner's process tree was killed", e);
        }
        catch (Win32Exception e)
        {
            throw new LlamaCppRunnerException(RunnerFailureKind.CannotStart, commandLine, null, string.Empty, $"cannot start {program}: {e.Message}", e);
        }

        if (result.ExitCode != 0)
        {
            RemoveTemporaryOutput(outputPath, processId);
            var kind = result.ExitCode switch
            {
                3 => RunnerFailureKind.MissingLibrary,
                4 => RunnerFailureKind.AbiMismatch,
                6 => RunnerFailureKind.UnservableAbi,
                5 => RunnerFailureKind.Crash,
                > 128 and < 160 => RunnerFailureKind.Crash,
                _ => RunnerFailureKind.NonZeroExit,
            };
            var summary = kind == RunnerFailureKind.Crash ? $"the runner crashed during '{verb}'" : LastRunnerMessage(stderr.Tail()) ?? $"'{verb}' failed";
            throw new LlamaCppRunnerException(kind, commandLine, result.ExitCode, stderr.Tail(), summary);
        }

        var json = ParseResult(stdout.ToString(), stdoutOverflow);
        if (json is null)
        {
            RemoveTemporaryOutput(outputPath, processId);
            var head = stdout.Length > 200 ? stdout.ToString(0, 200) + "..." : stdout.ToString();
            throw new LlamaCppRunnerException(RunnerFailureKind.MalformedOutput, commandLine, 0, stderr.Tail(), $"'{verb}' exited 0 but did not print one JSON object on stdout (got: {head.Trim()})");
        }

        return new RunnerResult(commandLine, json, stderr.All(), started.Elapsed);
    }

    public async Task<RunnerInfo> InfoAsync(CancellationToken cancellationToken = default)
    {
        var r = await RunAsync("info", [], cancellationToken: cancellationToken).ConfigureAwait(false);
        return new RunnerInfo(
            Str(r, "llamaCppCommit", optional: true),
            Str(r, "ggmlVersion"),
            Str(r, "ggmlCommit", optional: true),
            Str(r, "variant"),
            Str(r, "libraryDirectory"),
            Str(r, "systemInfo", optional: true),
            Str(r, "headersSha256", optional: true),
            Str(r, "layout", optional: true));
    }

    public async Task<int[]> TokenizeAsync(string modelPath, string text, bool addSpecial = true, bool parseSpecial = true, CancellationToken cancellationToken = default)
    {
        var args = new List<string> { "--model", modelPath, "--stdin" };
        if (!addSpecial)
        {
            args.Add("--no-add-special");
        }

        if (!parseSpecial)
        {
            args.Add("--no-parse-special");
        }

        var r = await RunAsync("tokenize", args, standardInput: text, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Ints(r, "tokens");
    }

    /// <summary>
    /// Many tokenizer calls on one vocabulary in one runner process (the <c>tokenize-batch</c> verb), answers in the
    /// order of <paramref name="calls"/>.
    /// </summary>
    public async Task<TokenizerCallResult[]> TokenizeBatchAsync(string modelPath, IReadOnlyList<TokenizerCall> calls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var input = new JsonArray([.. calls.Select(c =>
        {
            var call = new JsonObject
            {
                ["textHex"] = Convert.ToHexString(c.Text),
                ["addSpecial"] = c.AddSpecial,
                ["parseSpecial"] = c.ParseSpecial,
                ["removeSpecial"] = c.RemoveSpecial,
                ["unparseSpecial"] = c.UnparseSpecial,
            };
            if (c.Detokenize is { } tokens)
            {
                call["tokens"] = new JsonArray([.. tokens.Select(t => JsonValue.Create(t))]);
            }

            return (JsonNode)call;
        })]);
        var r = await RunAsync("tokenize-batch", ["--model", modelPath], standardInput: input.ToJsonString(), cancellationToken: cancellationToken).ConfigureAwait(false);
        var results = r.Json["results"] as JsonArray ?? throw Malformed(r, "results");
        if (results.Count != calls.Count)
        {
            throw Malformed(r, "results");
        }

        return [.. results.Select(x => new TokenizerCallResult(
            [.. (x?["tokens"] as JsonArray ?? throw Malformed(r, "tokens")).Select(t => t!.GetValue<int>())],
            Convert.FromHexString(x!["textHex"]?.GetValue<string>() ?? throw Malformed(r, "textHex"))))];
    }

    public async Task<QuantizeResult> QuantizeAsync(string inputPath, string outputPath, string type, int threads = 2, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var r = await RunAsync("quantize", ["--model", inputPath, "--out", outputPath, "--type", type, "--threads", threads.ToString(CultureInfo.InvariantCulture)], outputPath, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        var tensors = (r.Json["tensors"] as JsonArray ?? throw Malformed(r, "tensors")).Select(t => new QuantizedTensor(
            t!["name"]!.GetValue<string>(),
            t["from"]?.GetValue<string>(),
            t["type"]!.GetValue<string>(),
            [.. t["ne"]!.AsArray().Select(x => x!.GetValue<long>())])).ToList();
        var fallbacks = (r.Json["fallbacks"] as JsonArray)?.Select(x => x!.GetValue<string>()).ToList() ?? [];
        return new QuantizeResult(Str(r, "output"), Str(r, "fileType"), tensors, fallbacks);
    }

    /// <summary>Rows of a tensor through ggml's <c>to_float</c>.</summary>
    public async Task<float[]> DequantizeAsync(string modelPath, string tensor, long firstRow, long endRow, string scratchFile, CancellationToken cancellationToken = default)
    {
        await RunAsync("dequantize", ["--model", modelPath, "--tensor", tensor, "--rows", string.Create(CultureInfo.InvariantCulture, $"{firstRow}:{endRow}"), "--out", scratchFile], scratchFile, cancellationToken: cancellationToken).ConfigureAwait(false);
        var bytes = await File.ReadAllBytesAsync(scratchFile, cancellationToken).ConfigureAwait(false);
        File.Delete(scratchFile);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    /// <summary>
    /// Rows of a weight tensor dotted with one activation row by ggml's own CPU kernels (<c>from_float</c> of the
    /// vec_dot type, then <c>vec_dot</c>): what llama.cpp's matmul computes for one token.
    /// </summary>
    public async Task<float[]> VecDotAsync(string modelPath, string tensor, long firstRow, long endRow, ReadOnlyMemory<float> activations, string scratchDirectory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(scratchDirectory);
        var input = Path.Combine(scratchDirectory, $"vecdot-x-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        var output = Path.Combine(scratchDirectory, $"vecdot-y-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(input, System.Runtime.InteropServices.MemoryMarshal.AsBytes(activations.Span).ToArray(), cancellationToken).ConfigureAwait(false);
        try
        {
            await RunAsync("vecdot", ["--model", modelPath, "--tensor", tensor, "--rows", string.Create(CultureInfo.InvariantCulture, $"{firstRow}:{endRow}"), "--activations", input, "--out", output], output, cancellationToken: cancellationToken).ConfigureAwait(false);
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(await File.ReadAllBytesAsync(output, cancellationToken).ConfigureAwait(false)).ToArray();
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    /// <summary>
    /// A row of floats through ggml's CPU <c>from_float</c> of <paramref name="typeName"/> (a ggml type name such as
    /// <c>q4_1</c>): the blocks SET_ROWS writes into a KV cache of that type.
    /// </summary>
    public async Task<byte[]> FromFloatAsync(string typeName, ReadOnlyMemory<float> values, string scratchDirectory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(scratchDirectory);
        var input = Path.Combine(scratchDirectory, $"fromfloat-x-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        var output = Path.Combine(scratchDirectory, $"fromfloat-y-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(input, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.Span).ToArray(), cancellationToken).ConfigureAwait(false);
        try
        {
            await RunAsync("fromfloat", ["--type", typeName, "--activations", input, "--out", output], output, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await File.ReadAllBytesAsync(output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    /// <summary>SHA-256 of every tensor's values through ggml's <c>to_float</c> (float32, little-endian), by tensor name.</summary>
    public async Task<IReadOnlyDictionary<string, string>> DequantizeHashesAsync(string modelPath, CancellationToken cancellationToken = default)
    {
        var r = await RunAsync("dequantize", ["--model", modelPath, "--sha256"], cancellationToken: cancellationToken).ConfigureAwait(false);
        return (r.Json["tensors"] as JsonArray ?? throw Malformed(r, "tensors"))
            .ToDictionary(t => t!["name"]!.GetValue<string>(), t => t!["sha256"]!.GetValue<string>(), StringComparer.Ordinal);
    }

    /// <summary>A plain decode (no dumping): the logits of every prompt position, then of each greedy step.</summary>
    /// <param name="oneByOne">Decode the prompt one token per call (llama.cpp's single-token path) instead of in one batch.</param>
    public async Task<LogitsResult> LogitsAsync(string modelPath, IReadOnlyList<int> tokens, int steps, string scratchFile, LlamaCppDecodeOptions? options = null, bool oneByOne = false, CancellationToken cancellationToken = default)
    {
        var args = new List<string> { "--model", modelPath, "--tokens", string.Join(',', tokens), "--steps", steps.ToString(CultureInfo.InvariantCulture), "--out", scratchFile };
        if (oneByOne)
        {
            args.Add("--one-by-one");
        }

        args.AddRange((options ?? LlamaCppDecodeOptions.Default).ToArgs());
        var r = await RunAsync("logits", args, scratchFile, cancellationToken: cancellationToken).ConfigureAwait(false);
        var vocab = r.Json["vocab"]?.GetValue<int>() ?? throw Malformed(r, "vocab");
        var bytes = await File.ReadAllBytesAsync(scratchFile, cancellationToken).ConfigureAwait(false);
        File.Delete(scratchFile);
        var all = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        var rows = Enumerable.Range(0, all.Length / vocab).Select(i => all.AsSpan(i * vocab, vocab).ToArray()).ToList();
        return new LogitsResult(vocab, rows, Ints(r, "generated"));
    }

    /// <summary>Dumps every tensor of llama.cpp's forward pass (and of each greedy step) as a Parity dump.</summary>
    public async Task<DumpResult> DumpAsync(DumpRequest request, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var args = new List<string> { "--model", request.ModelPath, "--out", request.OutputDirectory, "--steps", request.Steps.ToString(CultureInfo.InvariantCulture) };
        if (request.Tokens is { } tokens)
        {
            args.AddRange(["--tokens", string.Join(',', tokens)]);
        }
        else
        {
            args.AddRange(["--prompt", request.Prompt ?? throw new ArgumentException("a dump needs a prompt or tokens", nameof(request))]);
            if (!request.AddSpecial)
            {
                args.Add("--no-add-special");
            }

            if (!request.ParseSpecial)
            {
                args.Add("--no-parse-special");
            }
        }

        if (request.Filter is not null)
        {
            args.AddRange(["--filter", request.Filter]);
        }

        args.AddRange(request.Decode.ToArgs());
        var r = await RunAsync("dump", args, request.OutputDirectory, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new DumpResult(Str(r, "out"), Ints(r, "tokens"), Ints(r, "generated"));
    }

    private static string? LastRunnerMessage(string tail) =>
        tail.Split('\n').LastOrDefault(l => l.StartsWith("parity-runner: ", StringComparison.Ordinal))?["parity-runner: ".Length..];

    private static JsonObject? ParseResult(string stdout, bool overflow)
    {
        if (overflow)
        {
            return null;
        }

        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (line is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Removes what a killed runner left: files or directories named <c>OUT.tmp-PID*</c> beside the output.</summary>
    private static void RemoveTemporaryOutput(string? outputPath, int? processId)
    {
        if (outputPath is not null && processId is { } pid)
        {
            TemporaryOutput.Remove(outputPath, pid);
        }
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./:=,@".Contains(c, StringComparison.Ordinal)) ? arg : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static LlamaCppRunnerException Malformed(RunnerResult r, string field) =>
        new(RunnerFailureKind.MalformedOutput, r.CommandLine, 0, string.Empty, $"the runner's JSON result has no valid '{field}'");

    private static string Str(RunnerResult r, string field, bool optional = false) =>
        r.Json[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : optional ? string.Empty : throw Malformed(r, field);

    private static int[] Ints(RunnerResult r, string field) =>
        r.Json[field] is JsonArray a ? [.. a.Select(x => x!.GetValue<int>())] : throw Malformed(r, field);
}
