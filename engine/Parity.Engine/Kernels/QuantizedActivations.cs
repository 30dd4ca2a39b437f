namespace Parity.Engine.Kernels;

/// <summary>
/// Buffers holding rows of activations quantized to a block <c>vec_dot_type</c> (ggml's <c>from_float</c> into
/// <c>wdata</c>): made once per matmul input, then read by every weight row's block dot.
/// </summary>
public abstract class QuantizedActivations
{
    /// <summary>Makes room for <paramref name="n"/> rows of <paramref name="cols"/> values.</summary>
    public abstract void Prepare(int n, int cols);

    /// <summary>Quantizes blocks [<paramref name="first"/>, <paramref name="last"/>) of <paramref name="x"/> (parts may run in parallel).</summary>
    public abstract void QuantizeBlocks(ReadOnlySpan<float> x, int first, int last);

    /// <summary>Row <paramref name="row"/> of rows of <paramref name="cols"/> values, as the block dots read it.</summary>
    public abstract ActivationRow Row(int row, int cols);
}
