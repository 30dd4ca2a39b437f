namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type name.

/// <summary>
/// Activations quantized to ggml's Q8_1 blocks for the Q4_1/Q5_1 dot products: per 32 values, int8 quants, d = amax/127
/// stored as F16, and s = d·Σq (with the unrounded d) stored as F16. ggml's dot adds m·s per block, so s must be kept
/// as ggml keeps it; rounding the activations alone cannot reproduce that term.
/// </summary>
internal sealed class Q8_1Activations : QuantizedActivations
{
    public const int BlockSize = 32;

    private readonly bool _reference;

    /// <param name="reference">Quantize as <c>quantize_row_q8_1_ref</c> (llama.cpp's noavx library) rather than the SIMD path.</param>
    public Q8_1Activations(bool reference = false) => _reference = reference;

    private sbyte[] _q = [];
    private float[] _d = [];
    private float[] _s = [];

    public ReadOnlySpan<sbyte> Quants(int row, int cols) => _q.AsSpan(row * cols, cols);

    public ReadOnlySpan<float> Scales(int row, int cols) => _d.AsSpan(row * cols / BlockSize, cols / BlockSize);

    public ReadOnlySpan<float> Sums(int row, int cols) => _s.AsSpan(row * cols / BlockSize, cols / BlockSize);

    public override ActivationRow Row(int row, int cols) => new(Quants(row, cols), Scales(row, cols), sums: Sums(row, cols));

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
            _s = new float[n * cols / BlockSize];
        }
    }

    public override void QuantizeBlocks(ReadOnlySpan<float> x, int first, int last)
    {
        for (var b = first; b < last; b++)
        {
            var q = _q.AsSpan(b * BlockSize, BlockSize);
            var block = x.Slice(b * BlockSize, BlockSize);
            var d = _reference ? Q8_0Activations.QuantizeBlockReference(block, q) : Q8_0Activations.QuantizeBlock(block, q);
            var sum = 0;
            foreach (var v in q)
            {
                sum += v;
            }

            _d[b] = (float)(Half)d;
            _s[b] = (float)(Half)(d * sum);
        }
    }
}
