using Parity.Dump;

namespace Parity.Harness.Compare;

/// <summary>A tensor's values as floats: a view into the map for F32, a converted copy for F16/BF16.</summary>
internal readonly ref struct FloatData
{
    private readonly float[]? _copy;
    private readonly ReadOnlySpan<float> _view;

    private FloatData(ReadOnlySpan<float> view, float[]? copy)
    {
        _view = view;
        _copy = copy;
    }

    public ReadOnlySpan<float> Span => _copy ?? _view;

    public static FloatData Of(DumpStep step, DumpTensorEntry entry) =>
        entry.DType == DumpDType.F32 ? new FloatData(step.GetFloats(entry), null) : new FloatData(default, step.ToFloat32Array(entry));
}
