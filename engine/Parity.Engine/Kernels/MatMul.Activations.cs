using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Kernels;

/// <summary>
/// The activations ggml's integer block dots read (Q8_0, Q8_1 or Q8_K blocks), quantized by every worker, and reused
/// when the next product has the same input (Q, K and V; gate and up).
/// </summary>
public sealed unsafe partial class MatMul
{
    private enum ActivationKind
    {
        None,
        Q8_0,
        Q8_1,
        Q8_K,
    }

    // The input the quantized activations were made from, so the next product on the same input (Q, K and V; gate and
    // up) reuses them: compared by content, which costs a memcmp where quantizing costs a pass of rounding.
    private float[] _quantizedFrom = [];
    private ActivationKind _quantizedKind;
    private int _quantizedN;
    private int _quantizedCols;
    private ActivationKind _quantizeKind;
    private float* _quantizeInput;
    private int _quantizeBlocks;

    private void QuantizeActivations(ActivationKind kind, ReadOnlySpan<float> x, int n, int cols)
    {
        var length = n * cols;
        if (kind == _quantizedKind && n == _quantizedN && cols == _quantizedCols && x[..length].SequenceEqual(_quantizedFrom.AsSpan(0, length)))
        {
            return;
        }

        var blockSize = kind == ActivationKind.Q8_K ? Q8_KActivations.BlockSize : Q8_0Activations.BlockSize;
        switch (kind)
        {
            case ActivationKind.Q8_0: _q8_0.Prepare(n, cols); break;
            case ActivationKind.Q8_1: _q8_1.Prepare(n, cols); break;
            default: _q8_k.Prepare(n, cols); break;
        }

        fixed (float* xp = x)
        {
            _quantizeKind = kind;
            _quantizeInput = xp;
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
        (_quantizedKind, _quantizedN, _quantizedCols) = (kind, n, cols);
    }

    private void QuantizePart(int worker)
    {
        var chunk = (_quantizeBlocks + _pool.Workers - 1) / _pool.Workers;
        var first = Math.Min(_quantizeBlocks, worker * chunk);
        QuantizeBlocks(first, Math.Min(_quantizeBlocks, first + chunk));
    }

    private void QuantizeBlocks(int first, int end)
    {
        var blockSize = _quantizeKind == ActivationKind.Q8_K ? Q8_KActivations.BlockSize : Q8_0Activations.BlockSize;
        var x = new ReadOnlySpan<float>(_quantizeInput, _quantizeBlocks * blockSize);
        switch (_quantizeKind)
        {
            case ActivationKind.Q8_0: _q8_0.QuantizeBlocks(x, first, end); break;
            case ActivationKind.Q8_1: _q8_1.QuantizeBlocks(x, first, end); break;
            default: _q8_k.QuantizeBlocks(x, first, end); break;
        }
    }
}
