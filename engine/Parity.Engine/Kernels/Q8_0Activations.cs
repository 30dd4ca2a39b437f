namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type name.

/// <summary>
/// Activations quantized to ggml's Q8_0 blocks, as x86 <c>quantize_row_q8_0</c> (the SIMD path) does: per 32 values,
/// d = amax/127 stored as F16, quants = round-half-even(x · 127/amax). The Q4_0/Q5_0/Q8_0 dot products read these.
/// A build without AVX runs ggml's reference instead (<see cref="QuantizeBlockReference"/>).
/// </summary>
internal sealed class Q8_0Activations : QuantizedActivations
{
    public const int BlockSize = 32;

    private readonly bool _reference;

    /// <param name="reference">Quantize as <c>quantize_row_q8_0_ref</c> (llama.cpp's noavx library) rather than the SIMD path.</param>
    public Q8_0Activations(bool reference = false) => _reference = reference;

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
            var block = x.Slice(b * BlockSize, BlockSize);
            var quants = _q.AsSpan(b * BlockSize, BlockSize);
            _d[b] = (float)(Half)(_reference ? QuantizeBlockReference(block, quants) : QuantizeBlock(block, quants));
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

    /// <summary>
    /// One block of 32 as ggml's <c>quantize_row_q8_0_ref</c>/<c>q8_1_ref</c> quantize it (read from the noavx
    /// library's <c>libggml-base.so</c>): d = amax/127, id = 1/d (not 127/amax), quants = <c>roundf(x·id)</c>, ties
    /// away from zero; returns the unrounded d.
    /// </summary>
    internal static float QuantizeBlockReference(ReadOnlySpan<float> block, Span<sbyte> quants)
    {
        var amax = 0f;
        foreach (var v in block)
        {
            amax = MathF.Max(amax, MathF.Abs(v));
        }

        var d = amax / 127f;
        var id = d != 0f ? 1.0f / d : 0f;
        for (var j = 0; j < block.Length; j++)
        {
            quants[j] = (sbyte)(int)MathF.Round(block[j] * id, MidpointRounding.AwayFromZero);
        }

        return d;
    }
}
