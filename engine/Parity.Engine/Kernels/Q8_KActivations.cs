namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type name.

/// <summary>
/// Activations quantized to ggml's Q8_K blocks as x86 runs it (<c>quantize_row_q8_K_ref</c>): per 256 values,
/// iscale = -127/max with max the signed value of the first largest magnitude, quants = min(127, RNE(iscale·x)),
/// d = 1/iscale kept as float32, and the sixteen 16-element sums the K-quant dots use. With
/// <c>fourRowTiles</c>, the rows a repacked GEMM reads in tiles of four (all but the last n % 4) are
/// quantized as <c>ggml_quantize_mat_q8_K_4x8</c> does: the same except for the sign of max, which is +amax whenever
/// some value equals +amax, wherever it is (the SIMD kernel keeps a mask, not the first position).
/// </summary>
internal sealed class Q8_KActivations(bool fourRowTiles = false) : QuantizedActivations
{
    public const int BlockSize = 256;

    private int _tiledBlocks;
    private sbyte[] _q = [];
    private float[] _d = [];
    private short[] _bsums = [];

    public ReadOnlySpan<sbyte> Quants(int row, int cols) => _q.AsSpan(row * cols, cols);

    public ReadOnlySpan<float> Scales(int row, int cols) => _d.AsSpan(row * cols / BlockSize, cols / BlockSize);

    public ReadOnlySpan<short> BlockSums(int row, int cols) => _bsums.AsSpan(row * cols / 16, cols / 16);

    public override ActivationRow Row(int row, int cols) => new(Quants(row, cols), Scales(row, cols), blockSums: BlockSums(row, cols));

    /// <summary>Quantizes <paramref name="n"/> rows of <paramref name="cols"/> (a multiple of 256) values.</summary>
    public void Quantize(ReadOnlySpan<float> x, int n, int cols)
    {
        Prepare(n, cols);
        QuantizeBlocks(x, 0, n * cols / BlockSize);
    }

    public override void Prepare(int n, int cols)
    {
        _tiledBlocks = fourRowTiles ? (n - (n % 4)) * (cols / BlockSize) : 0;
        if (_q.Length < n * cols)
        {
            _q = new sbyte[n * cols];
            _d = new float[n * cols / BlockSize];
            _bsums = new short[n * cols / 16];
        }
    }

    public override void QuantizeBlocks(ReadOnlySpan<float> x, int first, int last)
    {
        for (var b = first; b < last; b++)
        {
            var block = x.Slice(b * BlockSize, BlockSize);
            var q = _q.AsSpan(b * BlockSize, BlockSize);
            float max = 0, amax = 0;
            foreach (var v in block)
            {
                var ax = MathF.Abs(v);
                if (ax > amax)
                {
                    amax = ax;
                    max = v;
                }
            }

            if (amax == 0)
            {
                // ggml leaves the sums stale here; d = 0 zeroes every term that reads them, so zeros are equivalent.
                _d[b] = 0;
                q.Clear();
                _bsums.AsSpan(b * 16, 16).Clear();
                continue;
            }

            if (b < _tiledBlocks)
            {
                max = block.Contains(amax) ? amax : -amax;
            }

            var iscale = -127f / max;
            for (var j = 0; j < BlockSize; j++)
            {
                q[j] = (sbyte)Math.Min(127, (int)MathF.Round(iscale * block[j], MidpointRounding.ToEven));
            }

            for (var g = 0; g < 16; g++)
            {
                var sum = 0;
                for (var j = 0; j < 16; j++)
                {
                    sum += q[(16 * g) + j];
                }

                _bsums[(b * 16) + g] = (short)sum;
            }

            _d[b] = 1 / iscale;
        }
    }
}
