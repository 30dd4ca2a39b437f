namespace Parity.TestEngine;

/// <summary>One tensor info of a GGUF file: <paramref name="Ne"/> in ggml order, <paramref name="Offset"/> from the data section's start.</summary>
internal sealed record GgufTensorInfo(string Name, long[] Ne, int Type, long Offset)
{
    public long ElementCount => Ne.Aggregate(1L, (a, b) => a * b);
}
