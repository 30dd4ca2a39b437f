using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Parity.Harness.Bench;

/// <summary>
/// The machine's memory read bandwidth, measured the way generation reads weights: each thread streams its share of a
/// buffer far larger than the caches, summing it with vector loads. The roofline for generation is this bandwidth over
/// the weight bytes one token reads.
/// </summary>
public static class MemoryBandwidth
{
    private const long BufferBytes = 512L << 20;

    /// <summary>Best of three passes, in bytes per second.</summary>
    public static unsafe double Measure(int threads)
    {
        var buffer = (byte*)NativeMemory.AlignedAlloc((nuint)BufferBytes, 64);
        try
        {
            new Span<byte>(buffer, (int)BufferBytes).Fill(1); // touch every page before timing
            var best = 0.0;
            var sink = new double[threads];
            for (var pass = 0; pass < 3; pass++)
            {
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                var share = BufferBytes / threads;
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => sink[t] = Sum(buffer + (t * share), share));
                var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
                best = Math.Max(best, BufferBytes / seconds);
            }

            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static unsafe double Sum(byte* start, long bytes)
    {
        var a = Vector256<long>.Zero;
        var b = Vector256<long>.Zero;
        for (long i = 0; i + 64 <= bytes; i += 64)
        {
            a += Vector256.Load((long*)(start + i));
            b += Vector256.Load((long*)(start + i + 32));
        }

        return Vector256.Sum(a + b);
    }
}
