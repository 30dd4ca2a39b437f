namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type name.

/// <summary>
/// Activations quantized to ggml's Q8_0 blocks, as x86 <c>quantize_row_q8_0</c> (the SIMD path) does: per 32 values,
/// d = amax/127 stored as F16, quants = round-half-even(x · 127/amax). The Q4_0/Q5_0/Q8_0 dot products read these.
/// </summary>
internal sealed class Q8_0Activations : QuantizedActivations
{
    public const int BlockSize = 32;

    private sbyte[] _q = [];
    private float[] _d = [];

    public ReadOnlySpan<sbyte> Quants(int row, int cols) => _q.AsSpan(row * cols, cols);

    public ReadOnlySpan<float> Scales(int row, int cols) => _d.AsSpan(row * cols / BlockSize, cols / BlockSize);

    public override ActivationRow Row(int row, int cols) => new(Quants(row, cols), Scales(row, cols));

    /// <summary>Quantizes <paramref name="n"/> rows of <paramref name="cols"/> (a multiple of 32) values.</summary>
    public void Quantize(ReadOnlySpan<float> x, int n, int cols)
    {
        Prepare(n, cols);
        QuantizeBlocks(x, 0, n * cols / BlockSize);
    }

    public override void Prepare(int n, int cols)
    {
        if (_q.Length < n * cols)
        {
            _q = new sbyte[n * cols];
            _d = new float[n * cols / BlockSize];
        }
    }

    public override void QuantizeBlocks(ReadOnlySpan<float> x, int first, int last)
    {
        for (var b = first; b < last; b++)
        {
            _d[b] = (float)(Half)QuantizeBlock(x.Slice(b * BlockSize, BlockSize), _q.AsSpan(b * BlockSize, BlockSize));
        }
    }

    /// <summary>One block of 32 as x86 <c>quantize_row_q8_0</c>/<c>q8_1</c> quantize it; returns the unrounded d = amax/127.</summary>
    internal static float QuantizeBlock(ReadOnlySpan<float> block, Span<sbyte> quants)
    {
        var amax = 0f;
        foreach (var v in block)
        {
            amax = MathF.Max(amax, MathF.Abs(v));
        }

        var id = amax != 0f ? 127f / amax : 0f;
        for (var j = 0; j < block.Length; j++)
        {
            quants[j] = (sbyte)(int)MathF.Round(block[j] * id, MidpointRounding.ToEven);
        }

        return amax / 127f;
    }
}
