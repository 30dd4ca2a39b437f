namespace Parity.Engine.Kernels;

/// <summary>
/// The activations ggml's integer block dots read (blocks of the weight type's vec_dot_type), quantized by every
/// worker, and reused when the next product has the same input (Q, K and V; gate and up).
/// </summary>
public sealed unsafe partial class MatMul
{
    // The input the quantized activations were made from, so the next product on the same input (Q, K and V; gate and
    // up) reuses them: compared by content, which costs a memcmp where quantizing costs a pass of rounding.
    private float[] _quantizedFrom = [];
    private QuantizedActivations? _quantizedInto;
    private int _quantizedN;
    private int _quantizedCols;

    // The quantization in flight, read by every part.
    private QuantizedActivations? _quantizeInto;
    private float* _quantizeInput;
    private int _quantizeBlocks;
    private int _quantizeBlockSize;

    private void QuantizeActivations(QuantizedActivations into, int blockSize, ReadOnlySpan<float> x, int n, int cols)
    {
        var length = n * cols;
        if (into == _quantizedInto && n == _quantizedN && cols == _quantizedCols && x[..length].SequenceEqual(_quantizedFrom.AsSpan(0, length)))
        {
            return;
        }

        into.Prepare(n, cols);
        fixed (float* xp = x)
        {
            _quantizeInto = into;
            _quantizeInput = xp;
            _quantizeBlockSize = blockSize;
            _quantizeBlocks = length / blockSize;
            try
            {
                // A batch's activations are quantized by every worker (a serial pass was a tenth of a 2-thread prompt).
                if (_pool.Workers > 1 && _quantizeBlocks >= 16 * _pool.Workers)
                {
                    _pool.Run(_quantizePart);
                }
                else
                {
                    QuantizeBlocks(0, _quantizeBlocks);
                }
            }
            finally
            {
                _quantizeInput = null;
            }
        }

        if (_quantizedFrom.Length < length)
        {
            _quantizedFrom = new float[length];
        }

        x[..length].CopyTo(_quantizedFrom);
        (_quantizedInto, _quantizedN, _quantizedCols) = (into, n, cols);
    }

    private void QuantizePart(int worker)
    {
        var chunk = (_quantizeBlocks + _pool.Workers - 1) / _pool.Workers;
        var first = Math.Min(_quantizeBlocks, worker * chunk);
        QuantizeBlocks(first, Math.Min(_quantizeBlocks, first + chunk));
    }

    private void QuantizeBlocks(int first, int end) =>
        _quantizeInto!.QuantizeBlocks(new ReadOnlySpan<float>(_quantizeInput, _quantizeBlocks * _quantizeBlockSize), first, end);
}
