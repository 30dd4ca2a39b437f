namespace Parity.Engine.Tracing;

/// <summary>
/// Receives every intermediate tensor at the point the engine makes it, under llama.cpp's graph name with the layer
/// suffix (<c>attn_norm-0</c>, <c>Qcur-0</c>, ..., <c>result_output</c>) and with llama.cpp's <c>ne</c> (ggml order:
/// ne[0] fastest). The data is laid out exactly as ggml lays that tensor out, so a dump of the engine and a dump of
/// llama.cpp align by name. When no sink is given the engine formats no names and copies nothing.
/// </summary>
public interface ITensorSink
{
    /// <summary>Whether the engine should produce <paramref name="name"/> (a filter); unwanted tensors cost nothing.</summary>
    bool Wants(string name);

    /// <param name="name">llama.cpp's tensor name, e.g. <c>Qcur-3</c>.</param>
    /// <param name="op">The ggml op that made it in llama.cpp's graph (<c>MUL_MAT</c>, <c>RESHAPE</c>, <c>ROPE</c>, ...).</param>
    /// <param name="data">The values in ggml order.</param>
    /// <param name="ne">ggml's four dimensions.</param>
    void Tensor(string name, string op, ReadOnlySpan<float> data, ReadOnlySpan<long> ne);

    /// <summary>
    /// Teacher forcing, the engine's per-op entry point: called right after <see cref="Tensor"/> with the engine's live
    /// buffer, which the sink may overwrite (with a reference's values for the same tensor). Every later op then runs
    /// on those inputs, so an op's output measures that op alone. The default leaves the engine's values.
    /// </summary>
    /// <returns>True when the values were replaced.</returns>
    bool Replace(string name, string op, Span<float> data, ReadOnlySpan<long> ne) => false;

    /// <summary>An integer tensor (ggml I32: the expert indices of an <c>ARGSORT</c> and its top-k view).</summary>
    void Indices(string name, string op, ReadOnlySpan<int> data, ReadOnlySpan<long> ne)
    {
    }

    /// <summary>Teacher forcing of an integer tensor, as <see cref="Replace"/>: a reference's expert choice in place of the engine's.</summary>
    bool ReplaceIndices(string name, string op, Span<int> data, ReadOnlySpan<long> ne) => false;
}
