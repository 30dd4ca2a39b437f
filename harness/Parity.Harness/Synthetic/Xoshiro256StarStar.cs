namespace Parity.Harness.Synthetic;

/// <summary>
/// The xoshiro256** generator (Blackman and Vigna), seeded through SplitMix64. Written here rather than using
/// <see cref="Random"/> because synthetic models must be byte-identical on every machine and runtime, and .NET
/// documents no stability for seeded <see cref="Random"/> sequences across versions.
/// </summary>
public struct Xoshiro256StarStar
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public Xoshiro256StarStar(ulong seed)
    {
        _s0 = SplitMix64(ref seed);
        _s1 = SplitMix64(ref seed);
        _s2 = SplitMix64(ref seed);
        _s3 = SplitMix64(ref seed);
    }

    /// <summary>One step of SplitMix64: advances <paramref name="state"/> and returns a well-mixed 64-bit value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Mixes several values into one seed (order matters), for independent per-tensor and per-row streams.</summary>
    public static ulong Mix(ulong a, ulong b)
    {
        var state = a ^ (b * 0xD1B54A32D192ED03UL);
        return SplitMix64(ref state);
    }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)(NextDouble() * n);

    /// <summary>
    /// An approximately standard normal value: the sum of four independent 16-bit uniforms, centred and scaled to
    /// unit variance (Irwin-Hall). Only integer arithmetic and one division, so every machine gets the same bits;
    /// tails end at about ±3.46, which the generator widens on purpose where it wants outliers.
    /// </summary>
    public double NextNormal()
    {
        var r = NextUInt64();
        var sum = (long)(r & 0xFFFF) + (long)((r >> 16) & 0xFFFF) + (long)((r >> 32) & 0xFFFF) + (long)(r >> 48);
        return (sum - 131070) / IrwinHallStd;
    }

    /// <summary>Standard deviation of the sum of four uniforms on 0..65535: sqrt(4 * (65536^2 - 1) / 12).</summary>
    private const double IrwinHallStd = 37837.22723720648;

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>FNV-1a over a string's UTF-16 code units: a stable hash (string.GetHashCode is randomized per process).</summary>
    public static ulong StableHash(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var h = 0xCBF29CE484222325UL;
        foreach (var c in s)
        {
            h = (h ^ c) * 0x100000001B3UL;
        }

        return h;
    }
}
