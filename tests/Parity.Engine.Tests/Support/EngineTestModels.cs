using Parity.Harness.Models;
using Parity.Harness.Runner;

namespace Parity.Engine.Tests.Support;

/// <summary>The real runner and the shared model cache, for engine tests that compare with llama.cpp.</summary>
internal static class EngineTestModels
{
    public static LlamaCppRunner Runner { get; } = LlamaCppRunner.CreateDefault();

    public static ModelCache Cache { get; } = new(ModelCache.DefaultDirectory(), Runner);
}
