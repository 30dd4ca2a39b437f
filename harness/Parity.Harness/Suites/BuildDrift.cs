using Parity.Dump;
using Parity.Harness.Runner;

namespace Parity.Harness.Suites;

/// <summary>
/// What changed in llama.cpp itself: two builds run the same model on the same prompt token ids, and the second's dump
/// is compared with the first's exactly (<see cref="ReferenceDrift"/>, as <c>parity regen</c> compares goldens).
/// </summary>
public static class BuildDrift
{
    /// <summary>The outcome, and each side's build as its dump records it.</summary>
    public sealed record Result(CaseDrift Drift, DumpProducer From, DumpProducer To);

    /// <summary>
    /// Dumps <paramref name="request"/> with <paramref name="from"/> into <c>from/</c> and with <paramref name="to"/> into
    /// <c>to/</c> under <paramref name="outputDirectory"/>, then compares them.
    /// </summary>
    public static async Task<Result> RunAsync(DumpRequest request, LlamaCppRunner from, LlamaCppRunner to, string outputDirectory, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var a = await from.DumpAsync(request with { OutputDirectory = Path.Combine(outputDirectory, "from") }, progress, cancellationToken).ConfigureAwait(false);
        var b = await to.DumpAsync(request with { OutputDirectory = Path.Combine(outputDirectory, "to") }, progress, cancellationToken).ConfigureAwait(false);
        var older = DumpRun.Open(a.RunDirectory);
        var newer = DumpRun.Open(b.RunDirectory);
        var name = Path.GetFileName(request.ModelPath);
        var drift = ReferenceDrift.Compare(name, older, newer, progress)
            ?? throw new InvalidDataException($"the two builds ran different prompt tokens ([{string.Join(' ', older.Manifest.Prompt.Tokens)}] and [{string.Join(' ', newer.Manifest.Prompt.Tokens)}])");
        return new Result(drift, older.Manifest.Producer, newer.Manifest.Producer);
    }
}
