using System.Runtime.InteropServices;

namespace Parity.Engine.Kernels;

/// <summary>
/// One block of memory for the weights the engine keeps resident, handed out front to back. It starts on a 2 MiB
/// boundary, its length is a whole number of 2 MiB, and on Linux it is advised for transparent huge pages: a token's
/// products stream every weight once, and with 4 KiB pages each page is a TLB miss (a 1 GB model is 250 000 of them per
/// token), with 2 MiB pages 500. Where the kernel gives no huge pages the memory works as any other.
/// </summary>
public sealed unsafe partial class HugePageArena : IDisposable
{
    /// <summary>The huge page size the block is aligned and sized to (x86-64 and arm64 with 4 KiB base pages).</summary>
    public const long HugePage = 2L << 20;

    private const int Alignment = 64;
    private const int MadviseHugePage = 14;

    private byte* _base;
    private long _used;

    /// <param name="bytes">The sum of what will be taken, each piece counted rounded up to 64 bytes (<see cref="Footprint"/>).</param>
    public HugePageArena(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Capacity = Math.Max(1, (bytes + HugePage - 1) / HugePage) * HugePage;
        _base = (byte*)NativeMemory.AlignedAlloc((nuint)Capacity, (nuint)HugePage);
        if (OperatingSystem.IsLinux())
        {
            _ = Madvise((nint)_base, (nuint)Capacity, MadviseHugePage); // advice only: without it the pages are small
        }
    }

    /// <summary>Bytes reserved (a multiple of <see cref="HugePage"/>).</summary>
    public long Capacity { get; }

    /// <summary>What a piece of <paramref name="bytes"/> uses of the arena: its length rounded up to 64 bytes.</summary>
    public static long Footprint(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    /// <summary>The next <paramref name="bytes"/> of the block, 64-byte aligned.</summary>
    public byte* Take(long bytes)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        var end = _used + Footprint(bytes);
        if (end > Capacity)
        {
            throw new InvalidOperationException($"weight arena: {bytes} bytes asked with {Capacity - _used} of {Capacity} left");
        }

        var at = _base + _used;
        _used = end;
        return at;
    }

    public void Dispose()
    {
        if (_base != null)
        {
            NativeMemory.AlignedFree(_base);
            _base = null;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
