using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Parity.Engine.Kernels;

/// <summary>
/// Software prefetch for kernels that stream a weight matrix once per token. The hardware's L2 streamer stops at every
/// 4 KiB page, so a single thread reading 2 GB row after row stalls at each page start; asking for the lines a few
/// pages ahead into L2 keeps enough misses in flight (measured per kernel; see the callers).
/// </summary>
internal static class StreamPrefetch
{
    /// <summary>How far ahead of the current block the lines are requested.</summary>
    public const int Distance = 8192;

    /// <summary>Whether this machine has the prefetch instruction (x86 SSE); elsewhere <see cref="Ahead"/> does nothing.</summary>
    public static readonly bool Enabled = Sse.IsSupported;

    /// <summary>Requests into L2 the cache lines of [<paramref name="block"/> + Distance, + <paramref name="bytes"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Ahead(byte* block, int bytes)
    {
        if (!Enabled)
        {
            return;
        }

        for (var offset = 0; offset < bytes; offset += 64)
        {
            Sse.Prefetch2(block + Distance + offset);
        }
    }
}
