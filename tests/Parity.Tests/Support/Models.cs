using Parity.Harness.Models;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;

namespace Parity.Tests.Support;

/// <summary>The real runner and a shared model cache for integration tests (the cache persists across runs).</summary>
internal static class Models
{
    public static LlamaCppRunner Runner { get; } = LlamaCppRunner.CreateDefault();

    public static ModelCache Cache { get; } = new(ModelCache.DefaultDirectory(), Runner);

    public static string Synthetic(SyntheticPreset preset) => Cache.GetSynthetic(preset);

    public static Task<string> Quantized(SyntheticPreset preset, string quant) => Cache.GetAsync(preset, quant);
}
