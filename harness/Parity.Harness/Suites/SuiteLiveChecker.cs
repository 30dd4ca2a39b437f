using System.Diagnostics;
using System.Globalization;
using Parity.Dump;
using Parity.Harness.Compare;
using Parity.Harness.Models;
using Parity.Harness.Runner;

namespace Parity.Harness.Suites;

/// <summary>
/// <c>parity check --live</c>: the reference itself is reproducible. For each case llama.cpp runs again on the golden's
/// tokens, with the golden's options and again with another thread count, and every stored tensor must come out bit
/// for bit the same (and the prompt tokenize to the same ids).
/// </summary>
public sealed class SuiteLiveChecker(SuiteModelResolver models, LlamaCppRunner runner, string workDirectory)
{
    public async Task<CaseResult> CheckAsync(Suite suite, SuiteCase suiteCase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(suiteCase);
        var clock = Stopwatch.StartNew();
        var name = suiteCase.Name;
        var prepared = await PreparedCase.PrepareAsync(suite, suiteCase, models, cancellationToken).ConfigureAwait(false);
        if (prepared.Problem is { } problem)
        {
            return problem with { Elapsed = clock.Elapsed };
        }

        var goldenRun = prepared.Golden!;
        var model = prepared.Model!;
        var problems = new List<string>();
        var tokens = goldenRun.Manifest.Prompt.Tokens;
        if (suiteCase.Prompt is { } prompt)
        {
            var text = suiteCase.Chat ? ChatTemplate.Apply(model, prompt) : prompt;
            var ids = await runner.TokenizeAsync(model, text, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!ids.SequenceEqual(tokens))
            {
                problems.Add($"llama.cpp now tokenizes the prompt as [{string.Join(' ', ids)}], the golden has [{string.Join(' ', tokens)}]");
            }
        }

        var options = goldenRun.Manifest.Options;
        var threadCounts = new[] { options.Threads, options.Threads == 1 ? 2 : 1 };
        var reproduced = new List<string>();
        string? loaded = null;
        foreach (var threads in threadCounts)
        {
            var raw = Path.Combine(workDirectory, $"{name}-live-t{threads}-{Environment.ProcessId}");
            var compact = raw + "-golden";
            try
            {
                var request = new DumpRequest
                {
                    ModelPath = model,
                    OutputDirectory = raw,
                    Tokens = tokens,
                Filter = suiteCase.Tensors,
                    Steps = goldenRun.StepCount - 1,
                    Decode = new LlamaCppDecodeOptions { Threads = threads, FlashAttention = options.FlashAttention, CacheTypeK = options.TypeK, CacheTypeV = options.TypeV, Repack = options.Repack },
                };
                // A case pinned to a library variant reruns that library; others the one this machine loads.
                var caseRunner = suiteCase.Variant is { } variant ? runner.WithVariant(variant) : runner;
                await caseRunner.DumpAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
                GoldenWriter.Write(raw, compact, new Dictionary<string, string>());
                var diff = new DumpDiffer(ExactPolicy.Instance).Diff(compact, goldenRun.Directory);
                var moved = diff.Steps.SelectMany(s => s.Tensors.Where(t => t.IsFailure).Select(t => (s.Step, t))).ToList();
                var live = DumpRun.Open(compact);
                loaded = live.Manifest.Producer.LibraryVariant;
                var generated = live.GeneratedTokens;
                if (!generated.SequenceEqual(goldenRun.GeneratedTokens))
                {
                    problems.Add($"{threads} thread(s): greedy tokens [{string.Join(' ', generated)}], the golden has [{string.Join(' ', goldenRun.GeneratedTokens)}]");
                }

                if (moved.Count > 0)
                {
                    var (step, first) = moved[0];
                    var variants = live.Manifest.Producer.BuildDifference(goldenRun.Manifest.Producer) is not { } builds
                        ? string.Empty
                        : loaded == goldenRun.Manifest.Producer.LibraryVariant
                        ? $" (this machine loads another llama.cpp build than the golden's: {builds}{EngineFollows(live.Manifest.Producer)})"
                        : $" (this machine loads the {loaded} library, the golden was made with {goldenRun.Manifest.Producer.LibraryVariant}: their kernels round differently; builds: {builds}{EngineFollows(live.Manifest.Producer)})";
                    problems.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{threads} thread(s): {moved.Count} tensor(s) differ from the golden{variants}; first step {step} {first.Key} ({first.Status}{(first.Metrics is { } m ? $", {m.DifferingValues} values, max {m.MaxUlp} ulp, nmse {m.Nmse:G3}" : string.Empty)})"));
                }
                else
                {
                    reproduced.Add(threads.ToString(CultureInfo.InvariantCulture));
                }
            }
            finally
            {
                foreach (var dir in new[] { raw, compact })
                {
                    if (Directory.Exists(dir))
                    {
                        Directory.Delete(dir, recursive: true);
                    }
                }
            }
        }

        return new CaseResult
        {
            Case = name,
            Verdict = problems.Count == 0 ? CaseVerdict.Passed : CaseVerdict.Failed,
            Summary = problems.Count == 0
                ? $"llama.cpp {goldenRun.Manifest.Producer.Version[..Math.Min(12, goldenRun.Manifest.Producer.Version.Length)]} ({loaded} library, loaded here) reproduces the golden bit for bit with {string.Join(" and ", reproduced)} thread(s)"
                : problems[0],
            Details = problems,
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>Whether the engine reproduces the library this machine loaded, so the user knows where exactness is still judged.</summary>
    private static string EngineFollows(DumpProducer loaded) =>
        Parity.Engine.Model.GgmlTarget.Reproduces(loaded.Version, loaded.LibraryVariant)
            ? $"; the engine reproduces the {loaded.LibraryVariant} library too, so `parity run` here is judged exact against it"
            : $"; the engine does not reproduce the {loaded.LibraryVariant} library, so `parity run` here refuses ggml numerics without --allow-inexact";
}
