namespace Parity.Engine.Tokenizer;

/// <summary>
/// The merge order of llama.cpp's SentencePiece tokenizer: the highest-scoring pair first, and among equal scores
/// the leftmost. Ordered for .NET's min-heap <see cref="PriorityQueue{TElement, TPriority}"/>, so "less" means
/// "dequeued first". Ties on both keys cannot involve two live candidates (see <see cref="SpmSession"/>), so the
/// heap's instability does not change the result.
/// </summary>
internal sealed class SpmBigramOrder : IComparer<SpmBigram>
{
    public static SpmBigramOrder Instance { get; } = new();

    public int Compare(SpmBigram x, SpmBigram y)
    {
        if (x.Score != y.Score)
        {
            return x.Score > y.Score ? -1 : 1;
        }

        return x.Left.CompareTo(y.Left);
    }
}
