using System.IO.MemoryMappedFiles;

namespace Parity.Gguf;

/// <summary>
/// A whole file mapped read-only, with a stable pointer to its first byte until disposed. The OS pages data in on
/// first touch, so mapping costs nothing up front whatever the file's size. Shared by every reader of large files
/// (GGUF models, dump tensors).
/// </summary>
public sealed unsafe partial class ReadOnlyMappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private ReadOnlyMappedFile(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer, long length)
    {
        _map = map;
        _view = view;
        _base = basePointer;
        Length = length;
    }

    public long Length { get; }

    /// <summary>The first byte of the file; throws once disposed.</summary>
    public byte* BaseAddress
    {
        get
        {
            ObjectDisposedException.ThrowIf(_base == null, this);
            return _base;
        }
    }

    /// <summary>Maps <paramref name="path"/>; the file must be non-empty (an empty file cannot be mapped).</summary>
    public static ReadOnlyMappedFile Open(string path, long length)
    {
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new ReadOnlyMappedFile(map, view, p + view.PointerOffset, length);
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Drops this process's mapping of the whole pages inside [<paramref name="offset"/>, + <paramref name="length"/>)
    /// (Linux <c>madvise(MADV_DONTNEED)</c>; elsewhere nothing). The file's pages stay in the page cache and the range
    /// stays readable: a later read faults them back in. A one-pass scan (a diff) calls it for each tensor it is done
    /// with, so its resident set holds the tensors in flight rather than every page it has touched.
    /// </summary>
    public void Release(long offset, long length)
    {
        if (!OperatingSystem.IsLinux() || _base == null || length <= 0)
        {
            return;
        }

        var page = Environment.SystemPageSize;
        var start = ((long)_base + offset + page - 1) / page * page;
        var end = ((long)_base + offset + length) / page * page;
        if (end > start)
        {
            _ = Madvise((nint)start, (nuint)(end - start), DontNeed); // advice only: a failure leaves the pages mapped
        }
    }

    private const int DontNeed = 4; // MADV_DONTNEED

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);

    public void Dispose()
    {
        if (_base != null)
        {
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map.Dispose();
        }
    }
}
