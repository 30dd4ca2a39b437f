namespace Parity.Engine.Kernels;

/// <summary>The eight 6-bit scales and mins packed into 12 bytes of a Q4_K or Q5_K block.</summary>
internal static class KQuantScales
{
    public static void ScalesAndMins(ReadOnlySpan<byte> q, Span<byte> scales, Span<byte> mins)
    {
        for (var j = 0; j < 8; j++)
        {
            if (j < 4)
            {
                scales[j] = (byte)(q[j] & 63);
                mins[j] = (byte)(q[j + 4] & 63);
            }
            else
            {
                scales[j] = (byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
                mins[j] = (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
            }
        }
    }
}
