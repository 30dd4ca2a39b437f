namespace Parity.Engine.Kernels;

/// <summary>
/// A fixed set of worker threads, created once, that run one job split into <see cref="Workers"/> parts: the calling
/// thread does part 0, the workers the rest. Unlike <c>Parallel.For</c> it allocates nothing per call (the job is a
/// delegate the caller created once), which keeps the per-token path free of garbage.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly CountdownEvent _done = new(0);
    private Action<int>? _job;
    private Exception? _failure;
    private volatile bool _stopping;

    public WorkerPool(int workers)
    {
        Workers = Math.Max(1, workers);
        _start = [.. Enumerable.Range(1, Workers - 1).Select(_ => new SemaphoreSlim(0))];
        _threads = [.. Enumerable.Range(1, Workers - 1).Select(i => new Thread(() => Loop(i)) { IsBackground = true, Name = $"parity-engine-{i}" })];
        foreach (var t in _threads)
        {
            t.Start();
        }
    }

    /// <summary>Bytes the worker threads allocated while running jobs (a diagnostic for the no-allocation tests).</summary>
    public long WorkerAllocatedBytes => Interlocked.Read(ref _workerAllocated);

    private long _workerAllocated;

    /// <summary>Parts a job is split into, the calling thread included.</summary>
    public int Workers { get; }

    /// <summary>Runs <paramref name="job"/>(part) for every part 0..Workers-1 and returns when all are done.</summary>
    public void Run(Action<int> job)
    {
        ArgumentNullException.ThrowIfNull(job);
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (Workers == 1)
        {
            job(0);
            return;
        }

        _job = job;
        _failure = null;
        _done.Reset(Workers - 1);
        foreach (var s in _start)
        {
            s.Release();
        }

        try
        {
            job(0);
        }
        finally
        {
            _done.Wait();
            _job = null;
        }

        if (_failure is { } e)
        {
            throw new AggregateException("an engine worker failed", e);
        }
    }

    private void Loop(int part)
    {
        var start = _start[part - 1];
        while (true)
        {
            start.Wait();
            if (_stopping)
            {
                return;
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                _job!(part);
            }
#pragma warning disable CA1031 // The failure is rethrown on the calling thread by Run.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _failure = e;
            }
            finally
            {
                Interlocked.Add(ref _workerAllocated, GC.GetAllocatedBytesForCurrentThread() - before);
                _done.Signal();
            }
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        foreach (var s in _start)
        {
            s.Release();
        }

        foreach (var t in _threads)
        {
            t.Join();
        }

        foreach (var s in _start)
        {
            s.Dispose();
        }

        _done.Dispose();
    }
}
