using Parity.Gguf;

namespace Parity.Engine.Model;

/// <summary>
/// Test-only hook, not a product feature (internal; no option or flag reaches it): a <see cref="RowDequantizer"/>
/// replaces weight-row dequantization, scoped to the calling async flow.
/// </summary>
internal static class EngineTestHooks
{
    private static readonly AsyncLocal<RowDequantizer?> CurrentDequantizer = new();

    /// <summary>Dequantizes one weight row in place of the engine's kernel; returns false to leave the row to the engine.</summary>
    public delegate bool RowDequantizer(GgmlType type, ReadOnlySpan<byte> row, Span<float> destination);

    public static RowDequantizer? ActiveDequantizer => CurrentDequantizer.Value;

    public static IDisposable Install(RowDequantizer dequantizer)
    {
        var previous = CurrentDequantizer.Value;
        CurrentDequantizer.Value = dequantizer;
        return new Scope(() => CurrentDequantizer.Value = previous);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
