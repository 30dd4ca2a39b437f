using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Parity.Gguf;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;

namespace Parity.Harness.Models;

/// <summary>
/// Synthetic models on demand: a preset is generated once (F32), quantized once per type by llama.cpp through the
/// runner, and kept in a cache directory (<c>$PARITY_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/parity</c>, else
/// <c>~/.cache/parity</c>). File names carry everything that determines the bytes (preset, seed, generator
/// version, and for quantized files which llama.cpp quantized them), so a stale file is never reused.
/// Files appear atomically (temp + rename), so concurrent users at worst do the same work twice. Generating and
/// quantizing report to <paramref name="progress"/>.
/// </summary>
public sealed class ModelCache(string directory, LlamaCppRunner runner, IProgress<WorkProgress>? progress = null)
{
    public string Directory { get; } = directory;

    public static string DefaultDirectory()
    {
        var env = Environment.GetEnvironmentVariable("PARITY_CACHE_DIR");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "parity");
    }

    /// <summary>The F32 synthetic model of <paramref name="preset"/>, generated if absent.</summary>
    public string GetSynthetic(SyntheticPreset preset, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var path = SyntheticPath(preset, seed);
        if (!File.Exists(path))
        {
            SyntheticModel.Write(preset, path, seed, progress: progress);
        }

        return path;
    }

    /// <summary>
    /// The model of <paramref name="preset"/> in <paramref name="quant"/> (a llama.cpp file type such as Q4_K_M;
    /// F32 gives the synthetic model itself), quantized by llama.cpp if absent.
    /// </summary>
    public async Task<string> GetAsync(SyntheticPreset preset, string quant, ulong seed = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(quant);
        if (!quant.Equals("F32", StringComparison.OrdinalIgnoreCase) && QuantizedPath(SyntheticPath(preset, seed), quant) is var cached && File.Exists(cached))
        {
            // The name says which source it came from, so a real-shape preset's large F32 file may be deleted once quantized.
            return cached;
        }

        var source = GetSynthetic(preset, seed);
        if (quant.Equals("F32", StringComparison.OrdinalIgnoreCase))
        {
            return source;
        }

        return await QuantizeAsync(source, quant, cancellationToken).ConfigureAwait(false);
    }

    private string SyntheticPath(SyntheticPreset preset, ulong seed) =>
        Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"{preset.Name}-s{seed}-g{SyntheticModel.GeneratorVersion}-F32.gguf"));

    private string QuantizedPath(string sourcePath, string quant) =>
        Path.Combine(Directory, $"{Path.GetFileNameWithoutExtension(sourcePath)}-{quant.ToUpperInvariant()}-{LlamaKey()}.gguf");

    /// <summary>Any model file quantized to <paramref name="quant"/>, cached by the source's content hash.</summary>
    public async Task<string> QuantizeAsync(string sourcePath, string quant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(quant);
        var stem = Path.GetFileNameWithoutExtension(sourcePath);
        var insideCache = string.Equals(Path.GetDirectoryName(Path.GetFullPath(sourcePath)), Path.GetFullPath(Directory), StringComparison.Ordinal);
        if (!insideCache)
        {
            // Files outside the cache are keyed by content, so an edited model is never confused with the old one.
            stem = stem + "-" + (await Sha256Async(sourcePath, cancellationToken).ConfigureAwait(false))[..12];
        }

        var path = QuantizedPath(stem + ".gguf", quant);
        if (!File.Exists(path))
        {
            System.IO.Directory.CreateDirectory(Directory);
            await runner.QuantizeAsync(sourcePath, path, quant, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return path;
    }

    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Which llama.cpp quantized: the pinned package, or a hash of a user's build directory.</summary>
    private string LlamaKey() =>
        runner.Options.LibraryDirectory is { } dir
            ? "llama-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dir))))[..8]
            : "llama-pkg";
}
