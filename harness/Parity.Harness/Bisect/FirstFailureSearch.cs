namespace Parity.Harness.Bisect;

/// <summary>
/// Binary search for the first failing index of a sequence that passes up to some point and fails from there on
/// (the residual stream: once a layer's output is off, the next ones are too). Pure: it says which index to test
/// next, is told pass or fail, and ends with the first failing index, or null when the last one passes.
/// </summary>
public sealed class FirstFailureSearch
{
    private int _low;  // every index below _low passes
    private int _high; // _high fails (or is Count: "past the end")

    public FirstFailureSearch(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        _high = count;
    }

    public int Count { get; }

    /// <summary>How many indexes were tested.</summary>
    public int Probes { get; private set; }

    public bool Done => _low >= _high;

    /// <summary>The index to test next; only valid while not <see cref="Done"/>.</summary>
    public int Next => Done ? throw new InvalidOperationException("the search is done") : _low + ((_high - _low) / 2);

    /// <summary>The first failing index once <see cref="Done"/>; null when nothing fails.</summary>
    public int? Result => !Done ? throw new InvalidOperationException("the search is not done") : _high < Count ? _high : null;

    public void Report(bool failed)
    {
        var next = Next;
        Probes++;
        if (failed)
        {
            _high = next;
        }
        else
        {
            _low = next + 1;
        }
    }

    /// <summary>Runs the whole search with <paramref name="fails"/> as the oracle.</summary>
    public static (int? First, int Probes) Find(int count, Func<int, bool> fails)
    {
        ArgumentNullException.ThrowIfNull(fails);
        var search = new FirstFailureSearch(count);
        while (!search.Done)
        {
            search.Report(fails(search.Next));
        }

        return (search.Result, search.Probes);
    }
}
