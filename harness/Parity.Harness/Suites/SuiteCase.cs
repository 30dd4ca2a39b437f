namespace Parity.Harness.Suites;

/// <summary>
/// One case of a suite: a model, a prompt (text, optionally wrapped in the chat template, or token ids), how many
/// greedy steps, and the options both sides run with.
/// </summary>
public sealed record SuiteCase
{
    /// <summary>Unique within the suite; names the golden directory and the snapshot files.</summary>
    public required string Name { get; init; }

    public required SuiteModel Model { get; init; }

    /// <summary>Prompt text, tokenized by llama.cpp when the golden is made (null when <see cref="Tokens"/> is given).</summary>
    public string? Prompt { get; init; }

    public IReadOnlyList<int>? Tokens { get; init; }

    /// <summary>Wrap <see cref="Prompt"/> in the model's chat template.</summary>
    public bool Chat { get; init; }

    public int? Steps { get; init; }

    public int? Threads { get; init; }

    /// <summary>KV cache type for K and V, ggml spelling (<c>f16</c>, llama.cpp's default, or <c>f32</c>).</summary>
    public string? KvCache { get; init; }

    /// <summary>Flash attention on both sides (llama.cpp's FLASH_ATTN_EXT graph); off when absent.</summary>
    public bool FlashAttention { get; init; }

    /// <summary>
    /// Keep only tensors whose name matches this regular expression (both sides), for long prompts whose every tensor
    /// would make the golden too large; null keeps every compared tensor.
    /// </summary>
    public string? Tensors { get; init; }

    /// <summary>Whether llama.cpp repacks weights for its CPU kernels (<c>--repack</c>), and the engine multiplies as it then does.</summary>
    public bool? Repack { get; init; }

    /// <summary>Engine numerics: <c>ggml</c> or <c>f32</c>.</summary>
    public string? Numerics { get; init; }

    /// <summary>
    /// The library variant of the package the golden is made with and <c>check --live</c> reruns (<c>avx512</c>,
    /// <c>avx2</c>, <c>avx</c> or <c>noavx</c>); absent: the one the runner loads on the machine. <c>check</c> follows
    /// the variant the golden records either way.
    /// </summary>
    public string? Variant { get; init; }
}
