using Parity.Gguf;

namespace Parity.Benchmarks;

/// <summary>
/// A matrix of random but well-formed weight blocks of one type (finite scales of realistic size), so the kernels do
/// the same work they do on a model. 16384 × 4096 weights: 38 MB even in Q4_0, more than this machine's 32 MB L3, so
/// single-token products read from memory as they do in a forward pass.
/// </summary>
public sealed class WeightRows
{
    public const int Rows = 16384;
    public const int Cols = 4096;

    public WeightRows(GgmlType type, int seed)
    {
        Type = type;
        RowBytes = BytesPerRow(type);
        Data = new byte[(long)Rows * RowBytes];
        var rng = new Random(seed);
        rng.NextBytes(Data);
        var (blockBytes, halfOffsets) = Layout(type);
        for (var offset = 0; offset < Data.Length; offset += blockBytes)
        {
            foreach (var h in halfOffsets)
            {
                BitConverter.TryWriteBytes(Data.AsSpan(offset + h), (Half)((rng.NextDouble() - 0.3) * 0.01));
            }
        }

        if (type == GgmlType.F16)
        {
            for (var i = 0; i < Data.Length; i += 2)
            {
                BitConverter.TryWriteBytes(Data.AsSpan(i), (Half)((rng.NextDouble() - 0.5) * 0.1));
            }
        }
    }

    public GgmlType Type { get; }

    public int RowBytes { get; }

    public byte[] Data { get; }

    public static int BytesPerRow(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => Cols / 32 * 18,
        GgmlType.Q8_0 => Cols / 32 * 34,
        GgmlType.Q4_K => Cols / 256 * 144,
        GgmlType.Q6_K => Cols / 256 * 210,
        GgmlType.F16 => Cols * 2,
        _ => throw new NotSupportedException(type.ToString()),
    };

    private static (int BlockBytes, int[] HalfOffsets) Layout(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => (18, [0]),
        GgmlType.Q8_0 => (34, [0]),
        GgmlType.Q4_K => (144, [0, 2]),
        GgmlType.Q6_K => (210, [208]),
        _ => (2, []),
    };
}
