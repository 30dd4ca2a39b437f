using System.IO.MemoryMappedFiles;

namespace Parity.Gguf;

/// <summary>
/// A whole file mapped read-only, with a stable pointer to its first byte until disposed. The OS pages data in on
/// first touch, so mapping costs nothing up front whatever the file's size. Shared by every reader of large files
/// (GGUF models, dump tensors).
/// </summary>
public sealed unsafe class ReadOnlyMappedFile : IDisposable
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
