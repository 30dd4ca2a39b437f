namespace Parity.Engine.Kernels;

/// <summary>
/// One row of activations in the blocks of a weight type's <c>vec_dot_type</c> (Q8_0, Q8_1 or Q8_K), as the integer
/// block dots read them: the int8 quants and per block the scale, plus what the type's dot needs besides — Q8_1's
/// scaled block sums, Q8_K's sums of every 16 quants. What a type does not have is empty.
/// </summary>
public readonly ref struct ActivationRow
{
    public ActivationRow(ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<float> sums = default, ReadOnlySpan<short> blockSums = default)
    {
        Quants = quants;
        Scales = scales;
        Sums = sums;
        BlockSums = blockSums;
    }

    public ReadOnlySpan<sbyte> Quants { get; }

    /// <summary>One scale per block (Q8_0/Q8_1: F16 values widened; Q8_K: F32).</summary>
    public ReadOnlySpan<float> Scales { get; }

    /// <summary>Q8_1: s = d·Σq per block, as F16 widened.</summary>
    public ReadOnlySpan<float> Sums { get; }

    /// <summary>Q8_K: the sum of every 16 quants.</summary>
    public ReadOnlySpan<short> BlockSums { get; }
}
