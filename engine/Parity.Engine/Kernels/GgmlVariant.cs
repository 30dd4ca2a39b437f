namespace Parity.Engine.Kernels;

/// <summary>
/// The library variants of llama.cpp's CPU backend that LLamaSharp.Backend.Cpu ships, one build each: the runner loads
/// the best one the CPU supports (or the one asked for). Their kernels differ in vector width, reduction order and
/// <c>expf</c>, so a bit-exact engine follows the variant its reference was made with.
/// </summary>
public enum GgmlVariant
{
    Avx512,
    Avx2,
    Avx,
    NoAvx,
}

/// <summary>The variants' names as the package's directories and the dumps spell them.</summary>
public static class GgmlVariants
{
    public static string Name(this GgmlVariant variant) => variant switch
    {
        GgmlVariant.Avx512 => "avx512",
        GgmlVariant.Avx2 => "avx2",
        GgmlVariant.Avx => "avx",
        GgmlVariant.NoAvx => "noavx",
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "not a library variant"),
    };

    /// <summary>
    /// Floats per vector in the variant's generic SIMD mappings (<c>GGML_F32_EPR</c>): 16 with AVX-512, 8 with AVX2 or
    /// AVX, 4 with SSE. Kernels written on those mappings (flash attention's tiled path) require it to divide a row.
    /// </summary>
    public static int FloatLanes(this GgmlVariant variant) => variant switch
    {
        GgmlVariant.Avx512 => 16,
        GgmlVariant.Avx2 or GgmlVariant.Avx => 8,
        GgmlVariant.NoAvx => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "not a library variant"),
    };

    /// <summary>The variant a dump or the runner names; false for anything else (a custom build, a fake runner).</summary>
    public static bool TryParse(string? name, out GgmlVariant variant)
    {
        foreach (var v in Enum.GetValues<GgmlVariant>())
        {
            if (string.Equals(v.Name(), name, StringComparison.Ordinal))
            {
                variant = v;
                return true;
            }
        }

        variant = default;
        return false;
    }
}
