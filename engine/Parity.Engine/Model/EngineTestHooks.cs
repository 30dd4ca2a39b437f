namespace Parity.Engine.Model;

/// <summary>
/// Test-only hooks, not a product feature (internal; no option or flag reaches them): let tests plant a deliberate bug
/// so it flows through the forward pass exactly as a real one would. A <see cref="Mutation"/> changes an intermediate
/// tensor in place where the engine makes it; a <see cref="EngineFault"/> switches one classic porting bug on inside
/// the forward pass. Both are scoped to the calling async flow and captured when a model is loaded; none set (the
/// default) costs one check per tensor. (A wrong kernel is not a hook: a test loads the model with a type table whose
/// row it replaced, <c>EngineOptions.Types</c>.)
/// </summary>
internal static class EngineTestHooks
{
    private static readonly AsyncLocal<Mutation?> CurrentMutation = new();
    private static readonly AsyncLocal<EngineFault> CurrentFault = new();

    /// <summary>(tensor name, ggml op, data in ggml order, ne) → change data in place.</summary>
    public delegate void Mutation(string name, string op, Span<float> data, ReadOnlySpan<long> ne);

    public static Mutation? Active => CurrentMutation.Value;

    public static EngineFault ActiveFault => CurrentFault.Value;

    /// <summary>Installs <paramref name="mutation"/> for the current async flow until the returned scope is disposed.</summary>
    public static IDisposable Install(Mutation mutation)
    {
        var previous = CurrentMutation.Value;
        CurrentMutation.Value = mutation;
        return new Scope(() => CurrentMutation.Value = previous);
    }

    public static IDisposable Install(EngineFault fault)
    {
        var previous = CurrentFault.Value;
        CurrentFault.Value = fault;
        return new Scope(() => CurrentFault.Value = previous);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
