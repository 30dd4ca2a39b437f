using System.Diagnostics;

namespace Parity.Tests.Support;

/// <summary>
/// The largest resident set this process reaches while the scope is open, sampled every few milliseconds: a fuzz run
/// that leaks or balloons on a damaged count shows here even though nothing crashes.
/// </summary>
internal sealed class PeakMemory : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peak;

    public PeakMemory()
    {
        _sampler = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (!_stop.IsCancellationRequested)
            {
                process.Refresh();
                Interlocked.Exchange(ref _peak, Math.Max(Interlocked.Read(ref _peak), process.WorkingSet64));
                await Task.Delay(5).ConfigureAwait(false);
            }
        });
    }

    public long PeakBytes
    {
        get
        {
            _stop.Cancel();
            _sampler.Wait();
            return Interlocked.Read(ref _peak);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _sampler.Wait();
        _stop.Dispose();
    }
}
