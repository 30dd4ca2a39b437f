namespace Parity.Engine.Kernels;

/// <summary>
/// Where llama.cpp's AVX library (no AVX2) sums an element of a Q2_K or Q3_K super-block: its dots work on 128-bit
/// halves, sixteen elements per chunk k = 0..7 of each 128-element half (the chunk's scale is sub-block 8j + k), so int
/// lane 4·(k / 4) + u collects bytes 4u..4u+3 of chunks k = 0..3 (u = lane) and 4..7 (u = lane − 4). The AVX2 build's
/// lanes collect 32-element chunks instead, so the two builds add the same products in other float lanes.
/// </summary>
internal static class KQuantAvxLanes
{
    /// <summary>The lane of position <paramref name="l"/> (0..31) of 32-element chunk <paramref name="s"/> (0..3) in a 128-element half.</summary>
    public static int Lane(int s, int l) => (4 * (Chunk(s, l) / 4)) + ((l % 16) / 4);

    /// <summary>The 16-element chunk (0..7) of position <paramref name="l"/> of 32-element chunk <paramref name="s"/>: its sub-block within the half.</summary>
    public static int Chunk(int s, int l) => (2 * s) + (l / 16);
}
