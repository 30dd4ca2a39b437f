namespace Parity.Engine.Kernels;

/// <summary>The eight 6-bit scales and mins packed into 12 bytes of a Q4_K or Q5_K block, unpacked once per block.</summary>
internal static class KQuantScales
{
    public static void ScalesAndMins(ReadOnlySpan<byte> q, Span<byte> scales, Span<byte> mins)
    {
        for (var j = 0; j < 8; j++)
        {
            var (scale, min) = Dequantize.ScaleMinK4(j, q);
            scales[j] = (byte)scale;
            mins[j] = (byte)min;
        }
    }
}
