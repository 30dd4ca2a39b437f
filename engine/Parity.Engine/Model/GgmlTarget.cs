namespace Parity.Engine.Model;

/// <summary>
/// The llama.cpp CPU build whose arithmetic <see cref="NumericsMode.Ggml"/> reproduces bit for bit: the packaged
/// llama.cpp commit and the library variant whose kernels (vector widths, reduction orders, <c>expf</c>) the engine's
/// kernels mirror. Other variants and builds compute some ops in another order, so against them the engine is not exact.
/// </summary>
public static class GgmlTarget
{
    public const string Commit = "815a2a5915f22ce6a760c676389c5dfe8535c08f";

    public const string Variant = "avx512";

    /// <summary>Whether a llama.cpp build (commit, library variant) is the one the ggml numerics reproduce.</summary>
    public static bool Reproduces(string? commit, string? variant) => commit == Commit && variant == Variant;
}
