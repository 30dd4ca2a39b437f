using Parity.Dump;
using Parity.Harness.Compare;
using Parity.Harness.Runner;

namespace Parity.Harness.Engine;

/// <summary>
/// The main job as a library call: llama.cpp dumps the prompt and its greedy steps, the engine under test dumps the
/// same tokens (decode steps fed llama.cpp's choices, so one near-tie cannot derail the rest), and the two are diffed
/// through the engine's name map.
/// </summary>
public sealed class RunAndDiff(LlamaCppRunner runner, IEngineUnderTest engine, TolerancePolicy policy, PairingOptions? pairing = null)
{
    public const string ReferenceDirectory = "llama.cpp";
    public const string EngineDirectory = "engine";

    /// <param name="request">The model, token ids, steps and settings; its output directory is ignored.</param>
    /// <param name="outputDirectory">Gets <c>llama.cpp/</c> and <c>engine/</c>.</param>
    public async Task<RunDiff> RunAsync(DumpRequest request, string outputDirectory, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tokens = request.Tokens ?? throw new ArgumentException("the request needs token ids: the engine under test and llama.cpp must run the same ones", nameof(request));
        engine.CheckSupported(request.ModelPath);
        engine.CheckSupported(request.Decode, tokens.Count);
        var reference = await runner.DumpAsync(request with { OutputDirectory = Path.Combine(outputDirectory, ReferenceDirectory) }, progress, cancellationToken).ConfigureAwait(false);
        var referenceRun = DumpRun.Open(reference.RunDirectory);
        var call = new EngineDumpCall
        {
            Request = request with { OutputDirectory = Path.Combine(outputDirectory, EngineDirectory) },
            Tokens = referenceRun.Manifest.Prompt.Tokens,
            TeacherTokens = reference.Generated,
            Reference = referenceRun.Manifest.Producer,
        };
        var candidate = await engine.DumpAsync(call, progress, cancellationToken).ConfigureAwait(false);
        return new DumpDiffer(policy, pairing: pairing, names: engine.Names).Diff(DumpRun.Open(candidate.RunDirectory), referenceRun, progress);
    }
}
