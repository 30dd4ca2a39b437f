using Parity.Dump;
using Parity.Harness.Models;

namespace Parity.Harness.Suites;

/// <summary>
/// What every check of a case needs first: its golden, verified against its checksums and opened, and the model made
/// here with the same SHA-256 the golden was made from. Otherwise <see cref="Problem"/> says why the case cannot run
/// (an error naming the file, or a skip with its reason).
/// </summary>
public sealed record PreparedCase(DumpRun? Golden, string? Model, CaseResult? Problem)
{
    public static async Task<PreparedCase> PrepareAsync(Suite suite, SuiteCase suiteCase, SuiteModelResolver models, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(suiteCase);
        ArgumentNullException.ThrowIfNull(models);
        var name = suiteCase.Name;
        var golden = suite.GoldenDirectory(suiteCase);
        if (GoldenWriter.Verify(golden) is { } damage)
        {
            return Fail(CaseResult.Of(name, CaseVerdict.Error, $"{damage}; regenerate it with `parity regen --suite {suite.Name} --case {name}`"));
        }

        DumpRun goldenRun;
        try
        {
            goldenRun = DumpRun.Open(golden);
        }
        catch (DumpFormatException e)
        {
            return Fail(CaseResult.Of(name, CaseVerdict.Error, e.Message));
        }

        string model;
        try
        {
            model = await models.ResolveAsync(suite, suiteCase, cancellationToken).ConfigureAwait(false);
        }
        catch (CaseSkippedException e)
        {
            return Fail(CaseResult.Of(name, CaseVerdict.Skipped, e.Message));
        }

        var sha = await ModelCache.Sha256Async(model, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(sha, goldenRun.Manifest.Model.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            return Fail(CaseResult.Of(name, CaseVerdict.Error,
                $"model {model} ({suiteCase.Model.Describe()}) has sha256 {sha}, but {Path.Combine(golden, DumpFormat.RunManifestFileName)} was made from {goldenRun.Manifest.Model.Sha256}: the generator or llama.cpp's quantizer changed the bytes; regenerate with `parity regen --suite {suite.Name} --case {name}`"));
        }

        return new PreparedCase(goldenRun, model, null);
    }

    private static PreparedCase Fail(CaseResult problem) => new(null, null, problem);
}
