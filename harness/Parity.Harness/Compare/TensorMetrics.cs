namespace Parity.Harness.Compare;

/// <summary>
/// How far a tensor (a) is from the reference (b). NMSE is llama.cpp's test-backend-ops definition,
/// <c>sum((a-b)^2) / sum(b^2)</c>; SQNR is <c>-10 log10(NMSE)</c> dB.
/// </summary>
public sealed record TensorMetrics
{
    public required long Elements { get; init; }

    public required double Nmse { get; init; }

    public double SqnrDb => Nmse <= 0 ? double.PositiveInfinity : -10 * Math.Log10(Nmse);

    public required double Cosine { get; init; }

    public required double MaxAbsError { get; init; }

    /// <summary>Where the largest absolute error sits, as ggml indices (i0, i1, i2).</summary>
    public required long[] MaxAbsErrorAt { get; init; }

    public required double MeanAbsError { get; init; }

    public required double MaxRelError { get; init; }

    /// <summary>Elements with <c>|a-b| &gt; atol + rtol*|b|</c> (atol 1e-5, rtol 1e-3 unless set otherwise).</summary>
    public required long OutsideAtolRtol { get; init; }

    /// <summary>Elements whose two sides differ in any bit (what exactness counts).</summary>
    public long DifferingValues { get; init; }

    /// <summary>The largest distance in units in the last place between two finite values (0 when bit-identical).</summary>
    public long MaxUlp { get; init; }

    /// <summary>Where <see cref="MaxUlp"/> sits, as ggml indices (i0, i1, i2).</summary>
    public long[] MaxUlpAt { get; init; } = [0, 0, 0];

    /// <summary>Places where both sides hold the same non-finite value (both NaN, or the same infinity).</summary>
    public long BothNonFinite { get; init; }

    /// <summary>Places where one side is non-finite and the other holds something else.</summary>
    public long NonFiniteMismatch { get; init; }

    /// <summary>The first place where either side is NaN or infinite, as ggml indices; null when every value is finite.</summary>
    public long[]? FirstNonFiniteAt { get; init; }

    public bool HasNonFinite => BothNonFinite + NonFiniteMismatch > 0;

    public bool Identical => DifferingValues == 0 && !HasNonFinite;

    public required SideStats A { get; init; }

    public required SideStats B { get; init; }
}
