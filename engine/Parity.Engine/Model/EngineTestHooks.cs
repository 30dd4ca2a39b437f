namespace Parity.Engine.Model;

/// <summary>
/// Test-only hooks, not a product feature: lets tests change an intermediate tensor in place at the point the engine
/// makes it (after it is computed, before anything reads it), so a deliberate bug flows through the rest of the forward
/// pass exactly as a real one would. Scoped to the calling async flow; null (the default) costs one check per tensor.
/// </summary>
internal static class EngineTestHooks
{
    private static readonly AsyncLocal<Mutation?> Current = new();

    /// <summary>(tensor name, ggml op, layer or -1, data in ggml order, ne) → change data in place.</summary>
    public delegate void Mutation(string name, string op, Span<float> data, ReadOnlySpan<long> ne);

    public static Mutation? Active => Current.Value;

    /// <summary>Installs <paramref name="mutation"/> for the current async flow until the returned scope is disposed.</summary>
    public static IDisposable Install(Mutation mutation)
    {
        var previous = Current.Value;
        Current.Value = mutation;
        return new Scope(() => Current.Value = previous);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
