namespace Parity.Dump.Tests.Support;

/// <summary>A clock stopped at one instant, so manifests are reproducible.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
