namespace Parity.Harness.Compare;

/// <summary>
/// llama.cpp pads the KV length of <c>kq</c>/<c>kq_soft_max</c> (to 256): rows of <c>sourceRowLength</c> values of
/// which only the first <c>keep</c> are attended cells. Goldens, teacher forcing and pinpointing all take those.
/// </summary>
public static class PaddedRows
{
    /// <summary>Copies the first <paramref name="keep"/> values of every padded row into dense rows of that length.</summary>
    public static void CopyLeading(ReadOnlySpan<float> source, int sourceRowLength, Span<float> destination, int keep)
    {
        var rows = destination.Length / keep;
        for (var r = 0; r < rows; r++)
        {
            source.Slice(r * sourceRowLength, keep).CopyTo(destination.Slice(r * keep, keep));
        }
    }
}
