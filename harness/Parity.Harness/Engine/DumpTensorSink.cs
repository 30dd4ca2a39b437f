using Parity.Dump;
using Parity.Engine.Tracing;

namespace Parity.Harness.Engine;

/// <summary>Streams the engine's traced tensors into a dump step, in the order the engine makes them.</summary>
public sealed class DumpTensorSink(DumpStepWriter step, Func<string, bool>? filter = null) : ITensorSink
{
    public bool Wants(string name) => filter is null || filter(name);

    public void Tensor(string name, string op, ReadOnlySpan<float> data, ReadOnlySpan<long> ne) =>
        step.Add(name, op, data, ne);

    public void Indices(string name, string op, ReadOnlySpan<int> data, ReadOnlySpan<long> ne) =>
        step.Add(name, op, data, ne);
}
