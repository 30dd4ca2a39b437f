namespace Parity.Gguf;

/// <summary>
/// Upper bounds the reader enforces before it allocates anything from a count read from the file.
/// Every count is also bounded by the bytes left in the file (each element needs at least one byte),
/// so no allocation can exceed the file's size whatever these are set to.
/// </summary>
public sealed record GgufLimits
{
    public static GgufLimits Default { get; } = new();

    /// <summary>Longest string value or key, in bytes. Chat templates run to tens of KiB; nothing real is near 16 MiB.</summary>
    public long MaxStringBytes { get; init; } = 16L << 20;

    /// <summary>Most elements in one metadata array (the largest real vocabularies have ~260k tokens).</summary>
    public long MaxArrayLength { get; init; } = 1L << 26;

    /// <summary>Most metadata key/value pairs.</summary>
    public long MaxMetadataCount { get; init; } = 1L << 16;

    /// <summary>Most tensors (MoE models have a few thousand).</summary>
    public long MaxTensorCount { get; init; } = 1L << 20;

    /// <summary>How deep arrays of arrays may nest.</summary>
    public int MaxArrayNesting { get; init; } = 8;

    /// <summary>ggml's <c>GGML_MAX_DIMS</c>.</summary>
    public const int MaxDimensions = 4;

    /// <summary>ggml's <c>GGML_MAX_NAME</c> is 64 including the terminating NUL.</summary>
    public const int MaxTensorNameBytes = 63;
}
