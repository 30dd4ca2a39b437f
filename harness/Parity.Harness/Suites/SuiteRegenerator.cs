using System.Diagnostics;
using System.Globalization;
using Parity.Dump;
using Parity.Harness.Compare;
using Parity.Harness.Models;
using Parity.Harness.Runner;

namespace Parity.Harness.Suites;

/// <summary>
/// <c>parity regen</c>: remakes goldens with llama.cpp, atomically. Everything is built in a staging directory inside
/// the suite (new goldens for the selected cases, copies of the others), then swapped with the live
/// <c>goldens/</c> in one <see cref="DirectoryExchange"/>; a run killed at any point leaves the previous goldens
/// byte-identical and at most a stale staging directory, which the next run removes.
/// </summary>
public sealed class SuiteRegenerator(SuiteModelResolver models, LlamaCppRunner runner, IProgress<WorkProgress>? progress = null)
{
    public const string StagingPrefix = ".regen-";

    public async Task<RegenResult> RegenerateAsync(Suite suite, IReadOnlyList<SuiteCase> cases, bool force, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(cases);
        RemoveStaleStaging(suite);

        // Every model first, so a refusal happens before any golden is touched or any runner time is spent.
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        var refusals = new List<string>();
        foreach (var (c, i) in cases.Select((c, i) => (c, i)))
        {
            progress?.Report(new WorkProgress("regen: models", i, cases.Count, "case", $"{c.Name} ({c.Model.Describe()})"));
            try
            {
                resolved[c.Name] = await models.ResolveAsync(suite, c, cancellationToken).ConfigureAwait(false);
            }
            catch (CaseSkippedException e)
            {
                skipped[c.Name] = e.Message;
                continue;
            }

            var oldManifest = Path.Combine(suite.GoldenDirectory(c), DumpFormat.RunManifestFileName);
            if (!force && File.Exists(oldManifest))
            {
                var old = DumpRun.Open(suite.GoldenDirectory(c)).Manifest.Model.Sha256;
                var sha = await ModelCache.Sha256Async(resolved[c.Name], cancellationToken).ConfigureAwait(false);
                if (!string.Equals(old, sha, StringComparison.OrdinalIgnoreCase))
                {
                    refusals.Add($"{c.Name}: the model ({c.Model.Describe()}) now has sha256 {sha}, the golden was made from {old}");
                }
            }
        }

        progress?.Report(new WorkProgress("regen: models", cases.Count, cases.Count, "case"));
        if (refusals.Count > 0)
        {
            throw new RegenRefusedException("refusing to regenerate: model bytes differ from the goldens' manifests (a generator or quantizer change; check it is intended, then pass --force):\n  " + string.Join("\n  ", refusals));
        }

        var staging = Path.Combine(suite.Directory, StagingPrefix + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
        var stagingGoldens = Path.Combine(staging, "goldens");
        Directory.CreateDirectory(stagingGoldens);
        try
        {
            var regenerated = new List<string>();
            var todo = cases.Where(c => resolved.ContainsKey(c.Name)).ToList();
            foreach (var c in todo)
            {
                progress?.Report(new WorkProgress("regen", regenerated.Count, todo.Count, "case", c.Name));
                await RegenerateCaseAsync(suite, c, resolved[c.Name], Path.Combine(staging, "raw-" + c.Name), Path.Combine(stagingGoldens, c.Name), cancellationToken).ConfigureAwait(false);
                regenerated.Add(c.Name);
            }

            // Cases not regenerated keep their golden: copied into the staging tree so the swap replaces the whole tree.
            foreach (var c in suite.Cases.Where(c => !regenerated.Contains(c.Name)))
            {
                var old = suite.GoldenDirectory(c);
                if (Directory.Exists(old))
                {
                    CopyDirectory(old, Path.Combine(stagingGoldens, c.Name));
                }
            }

            progress?.Report(new WorkProgress("regen", regenerated.Count, todo.Count, "case", "comparing with the previous goldens"));
            var result = Drift(suite, regenerated, stagingGoldens) with { Skipped = skipped };
            DirectoryExchange.Exchange(stagingGoldens, suite.GoldensDirectory);
            return result;
        }
        finally
        {
            TryDelete(staging);
        }
    }

    private async Task RegenerateCaseAsync(Suite suite, SuiteCase c, string model, string rawDirectory, string goldenDirectory, CancellationToken cancellationToken)
    {
        // A case pinned to a library variant is made with that library, whichever this machine would load.
        var caseRunner = c.Variant is { } variant ? runner.WithVariant(variant) : runner;
        int[] tokens;
        string? text = null;
        if (c.Prompt is { } prompt)
        {
            text = c.Chat ? ChatTemplate.Apply(model, prompt) : prompt;
            tokens = await caseRunner.TokenizeAsync(model, text, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            tokens = [.. c.Tokens!];
        }

        var request = new DumpRequest
        {
            ModelPath = model,
            OutputDirectory = rawDirectory,
            Prompt = text,
            Tokens = tokens,
            Filter = c.Tensors,
            Steps = suite.StepsOf(c),
            Decode = suite.DecodeOf(c),
        };
        await caseRunner.DumpAsync(request, progress, cancellationToken).ConfigureAwait(false);
        var provenance = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["suite"] = suite.Name,
            ["case"] = c.Name,
            ["model"] = c.Model.Describe(),
            ["chatTemplate"] = c.Chat ? "on" : "off",
            ["regeneratedWith"] = $"parity regen --suite {suite.Name} --case {c.Name}",
        };
        GoldenWriter.Write(rawDirectory, goldenDirectory, provenance);
        TryDelete(rawDirectory);
    }

    /// <summary>The reference-drift report: each regenerated case's new golden against its previous one, exactly (<see cref="ReferenceDrift"/>).</summary>
    private static RegenResult Drift(Suite suite, IReadOnlyList<string> regenerated, string stagingGoldens)
    {
        var cases = new List<CaseDrift>();
        var fresh = new List<string>();
        var tokenChanges = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in regenerated)
        {
            var old = Path.Combine(suite.GoldensDirectory, name);
            if (!Directory.Exists(old) || GoldenWriter.Verify(old) is not null)
            {
                fresh.Add(name);
                continue;
            }

            var oldRun = DumpRun.Open(old);
            var newRun = DumpRun.Open(Path.Combine(stagingGoldens, name));
            if (ReferenceDrift.Compare(name, oldRun, newRun) is not { } drift)
            {
                tokenChanges[name] = $"prompt tokens [{string.Join(' ', oldRun.Manifest.Prompt.Tokens)}] -> [{string.Join(' ', newRun.Manifest.Prompt.Tokens)}]";
                fresh.Add(name);
                continue;
            }

            cases.Add(drift);
            if (drift.TokenChange is { } change)
            {
                tokenChanges[name] = change;
            }
        }

        return new RegenResult
        {
            Regenerated = regenerated,
            Skipped = new Dictionary<string, string>(),
            New = fresh,
            Compared = cases.ToDictionary(c => c.Name, c => c.Compared, StringComparer.Ordinal),
            Drift = [.. cases.SelectMany(c => c.Moved)],
            TokenChanges = tokenChanges,
            Cases = cases,
            Builds = BuildChange(suite, regenerated, stagingGoldens),
        };
    }

    /// <summary>"llama.cpp 815a2a5 (...) -> llama.cpp d8a24cc (...)" when the regenerated goldens come from another build than the ones they replace.</summary>
    private static string? BuildChange(Suite suite, IReadOnlyList<string> regenerated, string stagingGoldens)
    {
        foreach (var name in regenerated)
        {
            var old = Path.Combine(suite.GoldensDirectory, name, "run.json");
            if (File.Exists(old))
            {
                var before = DumpRun.Open(Path.GetDirectoryName(old)!).Manifest.Producer;
                var after = DumpRun.Open(Path.Combine(stagingGoldens, name)).Manifest.Producer;
                return before.BuildDifference(after) is null ? null : $"{before.Describe()} -> {after.Describe()}";
            }
        }

        return null;
    }

    /// <summary>Staging directories of regenerations that were killed (their process is gone).</summary>
    private static void RemoveStaleStaging(Suite suite)
    {
        if (!Directory.Exists(suite.Directory))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(suite.Directory, StagingPrefix + "*"))
        {
            var pidText = Path.GetFileName(dir)[StagingPrefix.Length..].Split('-')[0];
            if (int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !IsAlive(pid))
            {
                TryDelete(dir);
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(dir, Path.Combine(destination, Path.GetFileName(dir)));
        }
    }


    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the next run's stale-staging sweep.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
