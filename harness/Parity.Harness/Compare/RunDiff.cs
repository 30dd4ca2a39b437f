using Parity.Dump;
using Parity.Harness.Graph;

namespace Parity.Harness.Compare;

/// <summary>A whole diff: side A (the candidate, usually the engine) against side B (the reference, usually llama.cpp).</summary>
public sealed record RunDiff
{
    public required string DirectoryA { get; init; }

    public required string DirectoryB { get; init; }

    public required RunManifest ManifestA { get; init; }

    public required RunManifest ManifestB { get; init; }

    public required string WeightType { get; init; }

    public required string KvCache { get; init; }

    /// <summary>The candidate's numerics mode, from its manifest (f32 when not recorded).</summary>
    public string Numerics { get; init; } = "f32";

    /// <summary>Whether the candidate declared that it reproduces this reference bit for bit (rules with <c>exact</c> match on it).</summary>
    public bool CandidateExact { get; init; }

    /// <summary>Differences between the two runs the caller allowed (a different model with --allow-different-model, ...).</summary>
    public IReadOnlyList<string> AllowedDifferences { get; init; } = [];

    /// <summary>The graph descriptor of B's architecture the pairs were aligned and labelled by.</summary>
    public required GraphDescriptor Graph { get; init; }

    public required IReadOnlyList<StepDiff> Steps { get; init; }

    /// <summary>The name map A's tensors were aligned by (file and rule count), or null when they kept their names.</summary>
    public string? NameMap { get; init; }

    /// <summary>Where the two runs stopped running the same tokens (free-running dumps), or null when they never did.</summary>
    public TokenDivergence? Divergence { get; init; }

    /// <summary>The model's layer count: B's hyperparameters, else the layer outputs of the first step.</summary>
    public int LayerCount => ManifestB.Model.Hyperparameters?.NLayer ?? (Steps.Count == 0 ? 0 : Graph.CountLayers(Steps[0].Tensors.Select(t => t.Name)));

    /// <summary>
    /// Which regime judged the compared tensors: "exact, rule exact-ggml", "tolerance, rule kquants-ggml", or the
    /// distinct regimes joined when rules of both kinds applied.
    /// </summary>
    /// <summary>Whether every compared tensor was judged by identity (the exact regime).</summary>
    public bool Exact => Steps.SelectMany(s => s.Tensors).Where(t => t.Rule is not null).All(t => t.Rule!.IsIdentity);

    public string Regime =>
        string.Join(" + ", Steps.SelectMany(s => s.Tensors).Select(t => t.Rule).OfType<ToleranceRule>().Select(r => r.Regime).Distinct().DefaultIfEmpty("none (nothing compared)"));

    /// <summary>Every compared tensor held, and every step was compared (tokens that part are a failure of their own).</summary>
    public bool Passed => Divergence is null && Steps.All(s => s.Passed);

    public (StepDiff Step, TensorDiff Tensor)? FirstFailure =>
        Steps.Select(s => (s, s.FirstFailure)).Where(x => x.Item2 is not null).Select(x => ((StepDiff, TensorDiff)?)(x.s, x.Item2!)).FirstOrDefault();
}
