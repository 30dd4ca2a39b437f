namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type name.

/// <summary>
/// Q8_0 activations (<see cref="Q8_0Activations"/>, the same quants and scales) that also carry each block's Σq8 as
/// <see cref="ActivationRow.BlockSums"/>: the interleaved Q4_0 products take the nibbles unsigned and subtract 8·Σq8
/// per block, which leaves the same exact integer sum as Σ(nibble − 8)·q8.
/// </summary>
internal sealed class Q8_0SumActivations : QuantizedActivations
{
    private readonly Q8_0Activations _blocks = new();
    private short[] _sums = [];

    public override void Prepare(int n, int cols)
    {
        _blocks.Prepare(n, cols);
        if (_sums.Length < n * cols / Q8_0Activations.BlockSize)
        {
            _sums = new short[n * cols / Q8_0Activations.BlockSize];
        }
    }

    public override void QuantizeBlocks(ReadOnlySpan<float> x, int first, int last)
    {
        _blocks.QuantizeBlocks(x, first, last);
        var quants = _blocks.Quants(0, last * Q8_0Activations.BlockSize);
        for (var b = first; b < last; b++)
        {
            var sum = 0;
            foreach (var q in quants.Slice(b * Q8_0Activations.BlockSize, Q8_0Activations.BlockSize))
            {
                sum += q;
            }

            _sums[b] = (short)sum;
        }
    }

    public override ActivationRow Row(int row, int cols)
    {
        var blocks = cols / Q8_0Activations.BlockSize;
        return new(_blocks.Quants(row, cols), _blocks.Scales(row, cols), blockSums: _sums.AsSpan(row * blocks, blocks));
    }
}
