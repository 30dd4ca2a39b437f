using System.Text.Json.Serialization;
using Parity.Dump;

namespace Parity.Harness.Graph;

/// <summary>
/// One traced tensor of an architecture's graph, as the descriptor lists it: <see cref="Tensor"/> is the producer's name
/// without the layer suffix, with <c>#k</c> for the k-th tensor of that name in a step (<c>Qcur#2</c> is the ROPE
/// output <c>Qcur-0#2</c> of every layer when <see cref="PerLayer"/>).
/// </summary>
public sealed record GraphNode
{
    /// <summary>Stem and occurrence, in the dump's key syntax without the layer: <c>kq</c>, <c>norm#1</c>.</summary>
    public required string Tensor { get; init; }

    /// <summary>True: one tensor per layer, named <c>stem-il</c>; false: one tensor per step.</summary>
    public bool PerLayer { get; init; }

    /// <summary>The ggml op that produces it (<c>MUL_MAT</c>, <c>ROPE</c>), as both producers record it.</summary>
    public required string Op { get; init; }

    /// <summary>
    /// The tensors the op reads, as references (<see cref="GraphReference"/>); empty when it reads only token ids and
    /// weights. Bisect's verdict and the first-failure line say whether these already disagreed.
    /// </summary>
    // The source-generated reader assigns null to an init-only member the file leaves out: keep the empty default.
    public IReadOnlyList<string> Inputs { get; init => field = value ?? []; } = [];

    /// <summary>What each ggml dimension indexes, ne[0] first (<c>channel</c>, <c>token</c>, <c>head</c>, <c>kv</c>, <c>vocab</c>, <c>expert</c>, <c>slot</c>).</summary>
    public required IReadOnlyList<string> Dims { get; init; }

    /// <summary>A point on the residual stream where bisect tests before scanning tensor by tensor.</summary>
    public bool Checkpoint { get; init; }

    /// <summary>
    /// Attention rows over KV cells ([kv, token, head]): llama.cpp pads the KV length to 256 cells and the causal mask
    /// blanks the cells after each token's position, so only the attended cells are compared and kept in goldens.
    /// </summary>
    public bool MaskedAttention { get; init; }

    /// <summary>The output logits ([vocab, token]), compared per position as token rankings as well as values.</summary>
    public bool Logits { get; init; }

    /// <summary>When the channel dimension packs heads of head_dim values: how many (n_head or n_head_kv).</summary>
    public HeadGroup? PackedHeads { get; init; }

    /// <summary>Layout mistakes beyond transpose and head order that a failing pair of this tensor is tested for.</summary>
    // The source-generated reader assigns null to an init-only member the file leaves out: keep the empty default.
    public IReadOnlyList<LayoutCheck> LayoutChecks { get; init => field = value ?? []; } = [];

    /// <summary>
    /// For an expert choice (an ARGSORT of router probabilities, or its top-k view): the stem of those probabilities,
    /// so a differing choice is reported per token with the experts each side chose and the reference's router margin.
    /// </summary>
    public string? RoutesBy { get; init; }

    /// <summary>The one attention graph the node exists in (<see cref="AttentionGraph"/>); null for both.</summary>
    public AttentionGraph? Attention { get; init; }

    [JsonIgnore]
    public string Stem => GraphReference.Parse(Tensor).Stem;

    [JsonIgnore]
    public int Occurrence => GraphReference.Parse(Tensor).Occurrence;

    /// <summary>This node's key in layer <paramref name="layer"/> (ignored for per-step nodes): <c>Qcur-3#2</c>.</summary>
    public string KeyIn(int layer) => DumpTensorNames.KeyFor(PerLayer ? GraphReference.LayerName(Stem, layer) : Stem, Occurrence);
}
