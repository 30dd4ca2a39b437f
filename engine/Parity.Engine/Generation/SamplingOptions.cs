namespace Parity.Engine.Generation;

/// <summary>How the next token is chosen. Temperature 0 is greedy (the first largest logit).</summary>
public sealed record SamplingOptions
{
    public static SamplingOptions Greedy { get; } = new();

    public float Temperature { get; init; }

    /// <summary>Keep only the k most likely tokens (0: all).</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches p (1: all).</summary>
    public float TopP { get; init; } = 1f;

    public int Seed { get; init; }
}
