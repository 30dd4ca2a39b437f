namespace Parity.Harness;

/// <summary>
/// Reports progress on the calling thread. <see cref="Progress{T}"/> posts to the thread pool, so its reports could
/// arrive out of order, or after the work has returned and whoever draws them is gone.
/// </summary>
public sealed class ImmediateProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
