namespace Parity.Harness.Graph;

/// <summary>
/// The residual stream: <see cref="Input"/> feeds layer 0, and layer il's <see cref="LayerOutput"/> (<c>l_out-il</c>)
/// feeds layer il + 1 and, after the last layer, the output head.
/// </summary>
public sealed record Residual
{
    public required string Input { get; init; }

    public required string LayerOutput { get; init; }
}
