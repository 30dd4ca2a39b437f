namespace Parity.Dump;

/// <summary>
/// The context settings a dump was made with. Several change which tensors exist (flash attention fuses
/// <c>kq</c>/<c>kq_soft_max</c>/<c>kqv</c>) or their values (KV cache types, repacking), so a diff must know them.
/// </summary>
public sealed record DumpOptions
{
    public required int Threads { get; init; }

    public required bool FlashAttention { get; init; }

    /// <summary>KV cache K type, ggml spelling (<c>f16</c>, <c>q8_0</c>).</summary>
    public required string TypeK { get; init; }

    /// <summary>KV cache V type, ggml spelling.</summary>
    public required string TypeV { get; init; }

    /// <summary>Whether weights were repacked for the CPU backend's faster kernels.</summary>
    public required bool Repack { get; init; }

    public required int NCtx { get; init; }

    public required int NBatch { get; init; }

    /// <summary>The tensor-name filter the producer applied (only matching tensors were dumped); null for all tensors.</summary>
    public string? Filter { get; init; }

    /// <summary>True when logits were computed for every position of a step, not only the last.</summary>
    public required bool OutputAll { get; init; }
}
