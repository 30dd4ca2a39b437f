using Parity.Dump;

namespace Parity.Harness.Compare;

/// <summary>
/// The identity two dumps are compared on (the same model bytes, prompt tokens, step count and attention
/// configuration), checked from the manifests before any tensor is read; and whether the candidate's exactness claim
/// covers the reference. A difference is bad input, named with both values, unless the caller allowed it; an allowed
/// difference is returned as a line for the report.
/// </summary>
public static class DumpPairing
{
    /// <summary>The manifest note in which a candidate declares the reference it reproduces bit for bit.</summary>
    public const string ExactForNote = "exactFor";

    /// <summary>How a reference identifies itself for an exactness claim: producer, version (commit) and library variant.</summary>
    public static string Identity(DumpProducer producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        return $"{producer.Name} {producer.Version} {producer.LibraryVariant}";
    }

    /// <summary>Whether <paramref name="a"/> declares that it reproduces <paramref name="b"/>'s build exactly.</summary>
    public static bool CandidateExact(RunManifest a, RunManifest b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return ExactFor(a) is { } claim && claim == Identity(b.Producer);
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> naming both values when the runs cannot be compared as a pair; returns
    /// the differences <paramref name="options"/> allowed.
    /// </summary>
    public static IReadOnlyList<string> Check(DumpRun a, DumpRun b, PairingOptions options, bool sameStepCount = true)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(options);
        var (ma, mb) = (a.Manifest, b.Manifest);
        var allowed = new List<string>();
        void Differ(string what, object? va, object? vb, bool allow, string hint)
        {
            var line = $"{what} differ: A {va} ({a.Directory}), B {vb} ({b.Directory})";
            if (!allow)
            {
                throw new InvalidDataException($"{line}; {hint}");
            }

            allowed.Add(line);
        }

        if (ma.Model.Sha256 != mb.Model.Sha256)
        {
            Differ("the model bytes (sha256)", ma.Model.Sha256, mb.Model.Sha256, options.AllowDifferentModel, "compare dumps of the same model, or pass --allow-different-model to compare across conversions");
        }

        if (!ma.Prompt.Tokens.SequenceEqual(mb.Prompt.Tokens))
        {
            Differ("the prompt tokens", $"[{string.Join(' ', ma.Prompt.Tokens)}]", $"[{string.Join(' ', mb.Prompt.Tokens)}]", false, "dump both sides from the same token ids (--tokens)");
        }

        if (sameStepCount && a.StepCount != b.StepCount)
        {
            Differ("the step counts", a.StepCount, b.StepCount, false, "dump both sides with the same --steps");
        }

        var (oa, ob) = (ma.Options, mb.Options);
        if (oa.FlashAttention != ob.FlashAttention || oa.TypeK != ob.TypeK || oa.TypeV != ob.TypeV || oa.Repack != ob.Repack)
        {
            Differ("the attention configurations", Describe(oa), Describe(ob), options.AllowDifferentConfig, "dump both sides with the same --flash-attn, --cache-type-k/-v and --repack/--no-repack, or pass --allow-different-config to measure what the difference costs");
        }

        if (ma.Producer.Name == DumpProducer.LlamaCppName && mb.Producer.Name == DumpProducer.LlamaCppName && ma.Producer.BuildDifference(mb.Producer) is { } builds)
        {
            allowed.Add($"the llama.cpp builds differ: A {ma.Producer.Describe()}, B {mb.Producer.Describe()} ({builds})");
        }

        if (ExactFor(ma) is { } claim && mb.Producer.Name == DumpProducer.LlamaCppName && claim != Identity(mb.Producer))
        {
            Differ("the builds", $"reproduces '{claim}' exactly", $"is '{Identity(mb.Producer)}'", options.AllowInexact,
                "the candidate's ggml numerics do not reproduce this build, so it cannot be judged exact; pass --allow-inexact to judge it by the tolerance rules instead");
        }

        return allowed;
    }

    /// <summary>A step manifest that contradicts its run.json (the prompt step's tokens are the run's prompt) is bad input.</summary>
    public static void CheckStep(DumpRun run, DumpStep step)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(step);
        if (step.Manifest.Step == 0 && !step.Manifest.Tokens.SequenceEqual(run.Manifest.Prompt.Tokens))
        {
            throw new InvalidDataException(
                $"{Path.Combine(run.Directory, run.Manifest.Steps[0])}: the prompt step ran tokens [{string.Join(' ', step.Manifest.Tokens)}], but {Path.Combine(run.Directory, "run.json")} says the prompt is [{string.Join(' ', run.Manifest.Prompt.Tokens)}]");
        }
    }

    private static string? ExactFor(RunManifest m) => m.Notes is { } notes && notes.TryGetValue(ExactForNote, out var claim) ? claim : null;

    private static string Describe(DumpOptions o) =>
        $"flash attention {(o.FlashAttention ? "on" : "off")}, K {o.TypeK}, V {o.TypeV}, repack {(o.Repack ? "on" : "off")}";
}
