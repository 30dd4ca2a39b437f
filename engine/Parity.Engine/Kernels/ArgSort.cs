namespace Parity.Engine.Kernels;

/// <summary>
/// ggml's CPU <c>argsort</c> in descending order, as the pinned build computes it: the indices 0..n-1 sorted by
/// <c>std::sort</c> with the comparator <c>data[a] &gt; data[b]</c>. <c>std::sort</c> is not stable, so which of two
/// equal values comes first depends on its algorithm; this is libstdc++'s: introsort (median-of-three pivot moved to
/// the front, unguarded partition, heapsort past a depth of 2·floor(log2 n)) down to runs of 16, then one insertion
/// sort, which keeps equal values in index order when n ≤ 16. Experts chosen after a tie are then the ones llama.cpp
/// chooses.
/// </summary>
public static class ArgSort
{
    private const int Threshold = 16;

    /// <summary>Writes to <paramref name="indices"/> the indices of <paramref name="values"/>, largest value first.</summary>
    public static void Descending(ReadOnlySpan<float> values, Span<int> indices)
    {
        if (indices.Length != values.Length)
        {
            throw new ArgumentException($"{indices.Length} indices for {values.Length} values", nameof(indices));
        }

        for (var i = 0; i < indices.Length; i++)
        {
            indices[i] = i;
        }

        if (indices.Length > 1)
        {
            var sorter = new Sorter(values);
            sorter.IntroLoop(indices, 0, indices.Length, 2 * Log2(indices.Length));
            sorter.FinalInsertion(indices, 0, indices.Length);
        }
    }

    private static int Log2(int n) => 31 - int.LeadingZeroCount(n);

    private readonly ref struct Sorter(ReadOnlySpan<float> values)
    {
        private readonly ReadOnlySpan<float> _v = values;

        // The comparator: a before b when a's value is larger.
        private bool Before(int a, int b) => _v[a] > _v[b];

        public void IntroLoop(Span<int> x, int first, int last, int depth)
        {
            while (last - first > Threshold)
            {
                if (depth == 0)
                {
                    HeapSort(x.Slice(first, last - first));
                    return;
                }

                depth--;
                var cut = PartitionPivot(x, first, last);
                IntroLoop(x, cut, last, depth);
                last = cut;
            }
        }

        private int PartitionPivot(Span<int> x, int first, int last)
        {
            var mid = first + ((last - first) / 2);
            MoveMedianToFirst(x, first, first + 1, mid, last - 1);
            return UnguardedPartition(x, first + 1, last, first);
        }

        private void MoveMedianToFirst(Span<int> x, int result, int a, int b, int c)
        {
            var median = Before(x[a], x[b])
                ? (Before(x[b], x[c]) ? b : Before(x[a], x[c]) ? c : a)
                : (Before(x[a], x[c]) ? a : Before(x[b], x[c]) ? c : b);
            (x[result], x[median]) = (x[median], x[result]);
        }

        private int UnguardedPartition(Span<int> x, int first, int last, int pivot)
        {
            while (true)
            {
                while (Before(x[first], x[pivot]))
                {
                    first++;
                }

                last--;
                while (Before(x[pivot], x[last]))
                {
                    last--;
                }

                if (first >= last)
                {
                    return first;
                }

                (x[first], x[last]) = (x[last], x[first]);
                first++;
            }
        }

        public void FinalInsertion(Span<int> x, int first, int last)
        {
            if (last - first > Threshold)
            {
                Insertion(x, first, first + Threshold);
                for (var i = first + Threshold; i < last; i++)
                {
                    UnguardedLinearInsert(x, i);
                }
            }
            else
            {
                Insertion(x, first, last);
            }
        }

        private void Insertion(Span<int> x, int first, int last)
        {
            for (var i = first + 1; i < last; i++)
            {
                if (Before(x[i], x[first]))
                {
                    var value = x[i];
                    x.Slice(first, i - first).CopyTo(x.Slice(first + 1, i - first));
                    x[first] = value;
                }
                else
                {
                    UnguardedLinearInsert(x, i);
                }
            }
        }

        private void UnguardedLinearInsert(Span<int> x, int last)
        {
            var value = x[last];
            var next = last - 1;
            while (Before(value, x[next]))
            {
                x[last] = x[next];
                last = next;
                next--;
            }

            x[last] = value;
        }

        // std::__partial_sort(first, last, last): make_heap, then pop every element (sort_heap).
        private void HeapSort(Span<int> x)
        {
            var n = x.Length;
            for (var parent = (n - 2) / 2; parent >= 0; parent--)
            {
                AdjustHeap(x, parent, n, x[parent]);
            }

            for (var end = n - 1; end > 0; end--)
            {
                var value = x[end];
                x[end] = x[0];
                AdjustHeap(x, 0, end, value);
            }
        }

        // libstdc++'s __adjust_heap: sift the hole down to a leaf along the larger child, then push the value up.
        private void AdjustHeap(Span<int> x, int hole, int length, int value)
        {
            var top = hole;
            var child = hole;
            while (child < (length - 1) / 2)
            {
                child = 2 * (child + 1);
                if (Before(x[child], x[child - 1]))
                {
                    child--;
                }

                x[hole] = x[child];
                hole = child;
            }

            if ((length & 1) == 0 && child == (length - 2) / 2)
            {
                child = 2 * (child + 1);
                x[hole] = x[child - 1];
                hole = child - 1;
            }

            var parentIndex = (hole - 1) / 2;
            while (hole > top && Before(x[parentIndex], value))
            {
                x[hole] = x[parentIndex];
                hole = parentIndex;
                parentIndex = (hole - 1) / 2;
            }

            x[hole] = value;
        }
    }
}
