using Parity.Harness.Models;
using Parity.Harness.Synthetic;

namespace Parity.Harness.Suites;

/// <summary>
/// Makes a case's model file: the synthetic preset generated (and quantized by llama.cpp) into the model cache, or
/// the fixture or file quantized. A missing fixture skips the case; a source whose SHA-256 differs from the suite's
/// is an error, since the golden was made from other bytes.
/// </summary>
public sealed class SuiteModelResolver(ModelCache cache)
{
    public async Task<string> ResolveAsync(Suite suite, SuiteCase suiteCase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(suiteCase);
        var model = suiteCase.Model;
        if (model.Preset is not null)
        {
            return await cache.GetAsync(SyntheticPresets.Get(model.Preset), model.Quant, model.Seed, cancellationToken).ConfigureAwait(false);
        }

        string source;
        if (model.Fixture is not null)
        {
            var root = FixturesDirectory(suite.Directory)
                ?? throw new CaseSkippedException($"case '{suiteCase.Name}' needs the shared fixtures ({model.Fixture}): neither $PARITY_FIXTURES nor ../shared/fixtures beside the repository exists");
            source = Path.Combine(root, model.Fixture);
            if (!File.Exists(source))
            {
                throw new CaseSkippedException($"case '{suiteCase.Name}' needs the shared fixture {source}, which is absent");
            }
        }
        else
        {
            source = Path.GetFullPath(Path.Combine(suite.Directory, model.Path!));
            if (!File.Exists(source))
            {
                throw new FileNotFoundException($"case '{suiteCase.Name}': model file {source} does not exist");
            }
        }

        if (model.Sha256 is { } expected)
        {
            var actual = await ModelCache.Sha256Async(source, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"case '{suiteCase.Name}': {source} has sha256 {actual}, the suite expects {expected}");
            }
        }

        return model.Quant.Equals("F32", StringComparison.OrdinalIgnoreCase)
            ? source
            : await cache.QuantizeAsync(source, model.Quant, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>$PARITY_FIXTURES</c>, else <c>../shared/fixtures</c> beside the repository holding the suite.</summary>
    public static string? FixturesDirectory(string suiteDirectory)
    {
        var env = Environment.GetEnvironmentVariable("PARITY_FIXTURES");
        if (!string.IsNullOrEmpty(env))
        {
            return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        }

        for (var dir = new DirectoryInfo(suiteDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parity.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        }

        return null;
    }
}
