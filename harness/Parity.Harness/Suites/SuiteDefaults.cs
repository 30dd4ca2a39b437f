namespace Parity.Harness.Suites;

/// <summary>Options a case inherits when it does not set them.</summary>
public sealed record SuiteDefaults
{
    public int Steps { get; init; } = 2;

    public int Threads { get; init; } = 2;

    public string KvCache { get; init; } = "f16";

    public string Numerics { get; init; } = "ggml";

    /// <summary>Weight repacking (off: ggml's plain kernels).</summary>
    public bool Repack { get; init; }
}
