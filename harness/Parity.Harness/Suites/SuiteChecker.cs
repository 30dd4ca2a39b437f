using System.Diagnostics;
using System.Globalization;
using Parity.Dump;
using Parity.Engine.Architectures;
using Parity.Engine.Model;
using Parity.Engine.Tokenizer;
using Parity.Harness.Compare;
using Parity.Harness.Engine;
using Parity.Harness.Models;
using Parity.Harness.Runner;

namespace Parity.Harness.Suites;

/// <summary>
/// <c>parity check</c>: each case's engine run against its golden, with no llama.cpp inference. The golden's files
/// are verified against their checksums and its model's SHA-256 against the model made here before anything is
/// compared; the engine runs the golden's token ids (decode steps teacher-forced with the golden's greedy tokens);
/// every tensor is held to the tolerance policy, and the error profile to the case's verified snapshot. The engine is
/// Parity's own (in each case's numerics, on <paramref name="architectures"/>), or <paramref name="engine"/>: an
/// engine under test has no snapshots (they profile Parity's engine), and a case it refuses is skipped with its reason.
/// </summary>
public sealed class SuiteChecker(SuiteModelResolver models, TolerancePolicy policy, string workDirectory, bool compareSnapshots = true, ArchitectureRegistry? architectures = null, IEngineUnderTest? engine = null)
{
    public async Task<CaseResult> CheckAsync(Suite suite, SuiteCase suiteCase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(suiteCase);
        var clock = Stopwatch.StartNew();
        var result = await CheckCoreAsync(suite, suiteCase, cancellationToken).ConfigureAwait(false);
        return result with { Elapsed = clock.Elapsed };
    }

    private async Task<CaseResult> CheckCoreAsync(Suite suite, SuiteCase suiteCase, CancellationToken cancellationToken)
    {
        var name = suiteCase.Name;
        var golden = suite.GoldenDirectory(suiteCase);
        var prepared = await PreparedCase.PrepareAsync(suite, suiteCase, models, cancellationToken).ConfigureAwait(false);
        if (prepared.Problem is { } problem)
        {
            return problem;
        }

        var goldenRun = prepared.Golden!;
        var model = prepared.Model!;
        var details = new List<string>();
        var tokens = goldenRun.Manifest.Prompt.Tokens;
        if (suiteCase.Prompt is { } prompt && engine is null)
        {
            var text = suiteCase.Chat ? ChatTemplate.Apply(model, prompt) : prompt;
            var engineIds = Tokenizers.Load(model).Tokenize(text, true, true);
            if (!engineIds.SequenceEqual(tokens))
            {
                details.Add($"tokenizer: the engine gives [{string.Join(' ', engineIds)}], the golden (llama.cpp) [{string.Join(' ', tokens)}]");
            }
        }

        var engineDir = Path.Combine(workDirectory, name + "-engine-" + Environment.ProcessId);
        try
        {
            var request = new DumpRequest
            {
                ModelPath = model,
                OutputDirectory = engineDir,
                Prompt = suiteCase.Prompt,
                Tokens = tokens,
                Filter = suiteCase.Tensors,
                Steps = goldenRun.StepCount - 1,
                Decode = suite.DecodeOf(suiteCase),
            };
            var numerics = suite.NumericsOf(suiteCase) == "f32" ? NumericsMode.F32 : NumericsMode.Ggml;
            var underTest = engine ?? new BuiltInEngine(numerics, architectures);
            var call = new EngineDumpCall { Request = request, Tokens = tokens, TeacherTokens = goldenRun.GeneratedTokens, Reference = goldenRun.Manifest.Producer };
            try
            {
                await underTest.DumpAsync(call, null, cancellationToken).ConfigureAwait(false);
            }
            catch (EngineRefusedException e)
            {
                return CaseResult.Of(name, CaseVerdict.Skipped, e.Message);
            }

            var diff = new DumpDiffer(policy, names: underTest.Names).Diff(engineDir, golden);
            // Tolerance-only checks (git bisect across commits whose accepted profiles differ) leave snapshots alone.
            var (outcome, snapshotDiff) = compareSnapshots && engine is null
                ? Snapshot.Compare(suite.VerifiedPath(suiteCase), suite.ReceivedPath(suiteCase), ErrorProfile.Render(name, diff))
                : (SnapshotOutcome.Matches, string.Empty);

            if (diff.FirstFailure is { } first)
            {
                var count = diff.Steps.Sum(s => s.Tensors.Count(t => t.IsFailure));
                var note = first.Tensor.Status is TensorStatus.Differs or TensorStatus.Failed && first.Tensor.Note is { } n ? " — " + n : string.Empty;
                details.Insert(0, string.Create(CultureInfo.InvariantCulture,
                    $"{count} tensor(s) break parity, judged by {diff.Regime}; {FailureDescription.Describe(diff, first.Step, first.Tensor)}{note}"));
            }

            switch (outcome)
            {
                case SnapshotOutcome.Changed:
                    details.Add($"snapshot changed: {suite.ReceivedPath(suiteCase)} differs from {suite.VerifiedPath(suiteCase)} (`parity accept --suite {suite.Name} --case {name}` if the change is intended)\n{snapshotDiff.TrimEnd()}");
                    break;
                case SnapshotOutcome.New:
                    details.Add($"snapshot missing: {snapshotDiff}");
                    break;
            }

            var worst = diff.Steps.SelectMany(s => s.Tensors).Where(t => t.Metrics is not null).MaxBy(t => t.Metrics!.Nmse);
            var compared = diff.Steps.Sum(s => s.Tensors.Count(t => t.Metrics is not null));
            var summary = details.Count == 0
                ? string.Create(CultureInfo.InvariantCulture, $"{compared} tensors over {diff.Steps.Count} step(s) hold, judged by {diff.Regime}, worst nmse {worst?.Metrics!.Nmse:G2} ({worst?.Key}){(compareSnapshots && engine is null ? "; snapshot matches" : string.Empty)}")
                : details[0].Split('\n')[0];
            return new CaseResult
            {
                Case = name,
                Verdict = details.Count == 0 ? CaseVerdict.Passed : CaseVerdict.Failed,
                Summary = summary,
                Details = details,
                Diff = diff,
                FailureMap = diff.FirstFailure is var (failedStep, failedTensor) ? Reports.ErrorMapBuilder.Read(diff, failedStep, failedTensor) : null,
                Snapshot = outcome,
            };
        }
        finally
        {
            if (Directory.Exists(engineDir))
            {
                Directory.Delete(engineDir, recursive: true);
            }
        }
    }
}
