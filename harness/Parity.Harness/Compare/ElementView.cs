namespace Parity.Harness.Compare;

/// <summary>
/// Which elements of two tensors are compared, and where each sits in its side's data. Usually the identity over the
/// same shape; for attention scores it trims llama.cpp's KV padding (n_kv is padded to 256 cells) and leaves out the
/// causally masked cells, which carry no information.
/// </summary>
public sealed class ElementView
{
    private readonly long _strideA;
    private readonly long _strideB;
    private readonly int[]? _positions;
    private readonly int _firstPosition;

    private ElementView(long[] ne, long strideA, long strideB, int[]? positions, int firstPosition)
    {
        Ne = ne;
        _strideA = strideA;
        _strideB = strideB;
        _positions = positions;
        _firstPosition = firstPosition;
    }

    /// <summary>The logical shape compared (ggml order).</summary>
    public long[] Ne { get; }

    /// <summary>
    /// True when the compared elements are exactly the first <see cref="Elements"/> of both sides in order (no padding,
    /// no mask, at most three dimensions), so a comparison may treat them as one run.
    /// </summary>
    public bool IsContiguous => _positions is null && _strideA == Ne[0] && _strideB == Ne[0] && Ne[3] == 1;

    /// <summary>Number of elements in the logical shape.</summary>
    public long Elements => Ne[0] * Ne[1] * Ne[2] * Ne[3];

    public static ElementView Identity(long[] ne) => new(ne, ne[0], ne[0], null, 0);

    /// <summary>
    /// Attention-score layout [n_kv, n_tokens, n_head]: compares cells 0..n_kv-1 of each row (row lengths
    /// <paramref name="rowA"/> and <paramref name="rowB"/> may differ by padding), and only cells at or before the
    /// query's own position.
    /// </summary>
    public static ElementView Attention(long nKv, long nTokens, long nHead, long rowA, long rowB, IReadOnlyList<int> positions) =>
        new([nKv, nTokens, nHead, 1], rowA, rowB, [.. positions], 0);

    /// <summary>
    /// Calls <paramref name="visit"/> once per compared run of a row: (start in A, start in B, length, i1, i2). Rows are
    /// contiguous along ne[0], so kernels work on spans rather than per-element callbacks.
    /// </summary>
    public void ForEachRow(Action<long, long, long, long, long> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        for (long i3 = 0; i3 < Ne[3]; i3++)
        {
            for (long i2 = 0; i2 < Ne[2]; i2++)
            {
                for (long i1 = 0; i1 < Ne[1]; i1++)
                {
                    var row = ((i3 * Ne[2]) + i2) * Ne[1] + i1;
                    var visible = _positions is null ? Ne[0] : Math.Min(Ne[0], _positions[(int)i1] + 1 - _firstPosition);
                    if (visible > 0)
                    {
                        visit(row * _strideA, row * _strideB, visible, i1, i2);
                    }
                }
            }
        }
    }

    /// <summary>Calls <paramref name="visit"/> with (index in A, index in B, i0, i1, i2) for every compared element.</summary>
    public void ForEach(Action<long, long, long, long, long> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        ForEachRow((startA, startB, length, i1, i2) =>
        {
            for (long i0 = 0; i0 < length; i0++)
            {
                visit(startA + i0, startB + i0, i0, i1, i2);
            }
        });
    }
}
