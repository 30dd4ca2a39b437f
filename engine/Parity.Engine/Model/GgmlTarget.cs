using Parity.Engine.Kernels;

namespace Parity.Engine.Model;

/// <summary>
/// The llama.cpp CPU builds whose arithmetic <see cref="NumericsMode.Ggml"/> reproduces bit for bit: the packaged
/// llama.cpp commit and the library variants whose kernels (vector widths, reduction orders, <c>expf</c>) the engine
/// has in their order, for every weight type it reads. Other variants and builds compute some ops in another order, so
/// against them the engine is not exact.
/// </summary>
public static class GgmlTarget
{
    public const string Commit = "815a2a5915f22ce6a760c676389c5dfe8535c08f";

    /// <summary>The library variants reproduced, the one the engine follows by default first.</summary>
    public static IReadOnlyList<GgmlVariant> Variants { get; } = [GgmlVariant.Avx512, GgmlVariant.Avx2];

    /// <summary>Whether a llama.cpp build (commit, library variant name) is one the ggml numerics reproduce.</summary>
    public static bool Reproduces(string? commit, string? variant) =>
        commit == Commit && GgmlVariants.TryParse(variant, out var v) && Variants.Contains(v);

    /// <summary>
    /// The variant the ggml numerics follow against a reference made by (commit, variant): that variant where it is
    /// reproduced, else the default (a comparison the engine cannot reproduce is judged by tolerance, or refused).
    /// </summary>
    public static GgmlVariant VariantFor(string? commit, string? variant) =>
        Reproduces(commit, variant) && GgmlVariants.TryParse(variant, out var v) ? v : Variants[0];

    /// <summary>The reproduced variants' names, for messages: "avx512, avx2".</summary>
    public static string VariantNames => string.Join(", ", Variants.Select(v => v.Name()));
}
