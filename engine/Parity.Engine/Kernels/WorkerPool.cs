using System.Diagnostics;

namespace Parity.Engine.Kernels;

/// <summary>
/// A fixed set of worker threads, created once, that run one job split into <see cref="Workers"/> parts: the calling
/// thread does part 0, the workers the rest. Unlike <c>Parallel.For</c> it allocates nothing per call (the job is a
/// delegate the caller created once), which keeps the per-token path free of garbage.
/// <para>
/// A token's forward pass is ~150 jobs of 0.1-1 ms separated by a few microseconds of serial work, so the hand-off
/// latency matters: waking a thread blocked in the kernel costs tens of microseconds, several percent of a token.
/// Both sides therefore spin for a short while (<see cref="SpinTime"/>) watching a job counter before they block,
/// as ggml's thread pool does; a worker that finds no job within that time sleeps on its semaphore and is released
/// only when it has said it sleeps.
/// </para>
/// </summary>
public sealed class WorkerPool : IDisposable
{
    /// <summary>How long a waiting thread spins before it blocks.</summary>
    private static readonly long SpinTime = Stopwatch.Frequency / 5000; // 200 µs

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly int[] _sleeping;
    private readonly SemaphoreSlim _done = new(0); // a SemaphoreSlim allocates nothing when it blocks (an event's lock is lazy)
    private int _callerSleeping;
    private Action<int>? _job;
    private Exception? _failure;
    private int _generation;
    private int _pending;
    private volatile bool _stopping;
    private long _workerAllocated;

    public WorkerPool(int workers)
    {
        Workers = Math.Max(1, workers);
        _start = [.. Enumerable.Range(1, Workers - 1).Select(_ => new SemaphoreSlim(0))];
        _sleeping = new int[Workers];
        _threads = [.. Enumerable.Range(1, Workers - 1).Select(i => new Thread(() => Loop(i)) { IsBackground = true, Name = $"parity-engine-{i}" })];
        foreach (var t in _threads)
        {
            t.Start();
        }
    }

    /// <summary>Bytes the worker threads allocated while running jobs (a diagnostic for the no-allocation tests).</summary>
    public long WorkerAllocatedBytes => Interlocked.Read(ref _workerAllocated);

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
        Volatile.Write(ref _pending, Workers - 1);
        Interlocked.Increment(ref _generation);
        WakeSleepers();

        try
        {
            job(0);
        }
        finally
        {
            WaitForWorkers();
            _job = null;
        }

        if (_failure is { } e)
        {
            throw new AggregateException("an engine worker failed", e);
        }
    }

    private void WakeSleepers()
    {
        for (var part = 1; part < Workers; part++)
        {
            if (Interlocked.Exchange(ref _sleeping[part], 0) == 1)
            {
                _start[part - 1].Release();
            }
        }
    }

    private void WaitForWorkers()
    {
        var until = Stopwatch.GetTimestamp() + SpinTime;
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _pending) != 0)
        {
            if (Stopwatch.GetTimestamp() <= until)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            // Say we sleep, then look once more; the last worker releases us only when it finds the flag (a stale
            // release makes a later wait return early, and the loop looks at the count again).
            Interlocked.Exchange(ref _callerSleeping, 1);
            if (Volatile.Read(ref _pending) != 0)
            {
                _done.Wait();
            }

            Interlocked.Exchange(ref _callerSleeping, 0);
        }
    }

    private void Loop(int part)
    {
        var seen = 0;
        while (true)
        {
            seen = WaitForJob(part, seen);
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
                if (Interlocked.Decrement(ref _pending) == 0 && Interlocked.Exchange(ref _callerSleeping, 0) == 1)
                {
                    _done.Release();
                }
            }
        }
    }

    /// <summary>Spins, then sleeps, until the job counter moves past <paramref name="seen"/>; returns its new value.</summary>
    private int WaitForJob(int part, int seen)
    {
        var until = Stopwatch.GetTimestamp() + SpinTime;
        var spinner = default(SpinWait);
        while (true)
        {
            var generation = Volatile.Read(ref _generation);
            if (generation != seen || _stopping)
            {
                return generation;
            }

            if (Stopwatch.GetTimestamp() <= until)
            {
                // SpinWait yields the core after a few spins, so a spinning worker never starves the runtime's own
                // threads (the tiering JIT above all: starved, hot kernels stayed in tier-0 code for whole benchmarks).
                spinner.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            // Say we sleep, then look once more: a job posted in between either is seen here or finds the flag and
            // releases the semaphore (a release that arrives after we saw the job only makes a later wait return
            // early, and the loop looks at the counter again).
            Interlocked.Exchange(ref _sleeping[part], 1); // a full fence: the store must precede the look below
            if (Volatile.Read(ref _generation) == seen && !_stopping)
            {
                _start[part - 1].Wait();
            }

            Volatile.Write(ref _sleeping[part], 0);
            until = Stopwatch.GetTimestamp() + SpinTime;
            spinner.Reset();
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
