using Parity.Engine.Kernels;

namespace Parity.Engine.Model;

/// <summary>
/// The llama.cpp CPU builds whose arithmetic <see cref="NumericsMode.Ggml"/> reproduces bit for bit: the packaged
/// llama.cpp commit and the library variants whose kernels (vector widths, reduction orders, <c>expf</c>) the engine
/// has in their order, for every weight type it reads, and the other builds listed in <see cref="Builds"/>. Other
/// variants and builds compute some ops in another order, so against them the engine is not exact.
/// </summary>
public static class GgmlTarget
{
    public const string Commit = "815a2a5915f22ce6a760c676389c5dfe8535c08f";

    /// <summary>The library variants the engine has kernels for, the one it follows by default first.</summary>
    public static IReadOnlyList<GgmlVariant> Variants { get; } = [GgmlVariant.Avx512, GgmlVariant.Avx2, GgmlVariant.Avx, GgmlVariant.NoAvx];

    /// <summary>
    /// The llama.cpp builds (commit, variants) whose ggml numerics the engine follows: the packaged 815a2a5 in all four
    /// variants, and upstream d8a24ccee as built AVX2 without AVX-512 (docs/numerics.md, "Across llama.cpp versions").
    /// </summary>
    public static IReadOnlyList<(string Commit, IReadOnlyList<GgmlVariant> Variants)> Builds { get; } =
    [
        (Commit, Variants),
        ("d8a24ccee", [GgmlVariant.Avx2]),
    ];

    /// <summary>Whether a llama.cpp build (commit, library variant name) is one the ggml numerics reproduce.</summary>
    public static bool Reproduces(string? commit, string? variant) =>
        GgmlVariants.TryParse(variant, out var v) && Builds.Any(b => b.Commit == commit && b.Variants.Contains(v));

    /// <summary>
    /// The variant the ggml numerics follow against a reference made by (commit, variant): that variant where the engine
    /// has its kernels, else the default (a comparison the engine cannot reproduce is judged by tolerance, or refused).
    /// </summary>
    public static GgmlVariant VariantFor(string? commit, string? variant) =>
        GgmlVariants.TryParse(variant, out var v) && Variants.Contains(v) ? v : Variants[0];

    /// <summary>The commit the ggml numerics claim against a reference made by (commit, variant): its own where reproduced, else <see cref="Commit"/>.</summary>
    public static string CommitFor(string? commit, string? variant) => Reproduces(commit, variant) ? commit! : Commit;

    /// <summary>The reproduced builds, for messages: "815a2a5 (avx512, avx2), d8a24cc (avx2)".</summary>
    public static string BuildNames => string.Join(", ", Builds.Select(b => $"{b.Commit[..7]} ({string.Join(", ", b.Variants.Select(v => v.Name()))})"));

    /// <summary>The reproduced variants' names, for messages: "avx512, avx2".</summary>
    public static string VariantNames => string.Join(", ", Variants.Select(v => v.Name()));

    /// <summary>
    /// Why the ggml numerics do not reproduce this attention configuration against <paramref name="variant"/>'s library,
    /// or null when they do (<see cref="Variants"/> lists the variants; this names the configurations within one that the
    /// engine does not follow): flash attention against the noavx library (its unfused float code in the online softmax
    /// and the half-precision accumulation is not followed).
    /// </summary>
    /// <param name="commit">The build's llama.cpp commit (default: the packaged one).</param>
    public static string? ConfigurationRefusal(GgmlVariant variant, bool flashAttention, string? commit = null) =>
        !flashAttention ? null
        : variant == GgmlVariant.NoAvx ? "flash attention against llama.cpp's noavx library: the engine does not follow that library's unfused flash attention; use --flash-attn off, or another library variant"
        : commit is not null && commit != Commit ? $"flash attention against llama.cpp {commit[..Math.Min(7, commit.Length)]}: its flash attention at decode steps differs from {Commit[..7]}'s (kqv_out up to 2 ulp apart on identical inputs), which the engine does not follow; use --flash-attn off"
        : null;
}
