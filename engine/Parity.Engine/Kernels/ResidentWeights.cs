using System.Runtime.InteropServices;
using Parity.Engine.Model;

namespace Parity.Engine.Kernels;

/// <summary>
/// The weight matrices the products read, copied once at load into one <see cref="HugePageArena"/>: those the repacked
/// products take interleaved into their layout (<see cref="RepackedLayout"/>), every other one byte for byte. As each
/// copy is made, the pages of the file mapping it came from are handed back to the kernel (they stay readable from the
/// page cache), so the process holds each weight once. The copies sit on huge pages where the file mapping has small
/// ones; the values are the file's, so no product changes.
/// </summary>
public sealed unsafe partial class ResidentWeights : IDisposable
{
    private readonly List<Copy> _copies = [];
    private readonly HugePageArena _arena;

    private ResidentWeights(HugePageArena arena)
    {
        _arena = arena;
    }

    /// <summary>Bytes held by all copies.</summary>
    public long Bytes => _copies.Sum(c => c.Bytes);

    /// <summary>
    /// Copies every matrix of <paramref name="matrices"/> except <paramref name="keepPlain"/> (which GET_ROWS reads
    /// where it lies). With <paramref name="repack"/>, a matrix <paramref name="types"/> repacks into a layout the engine
    /// has (all its rows, a multiple of eight) is interleaved. A matrix that lies inside another (a fused projection's
    /// part, one expert of a merged tensor) is read from its parent's copy.
    /// </summary>
    public static ResidentWeights Build(IEnumerable<WeightMatrix> matrices, GgmlTypeTable types, nint keepPlain, bool repack)
    {
        ArgumentNullException.ThrowIfNull(matrices);
        ArgumentNullException.ThrowIfNull(types);
        var sources = Outermost(matrices.Where(w => w.Data != null && w.Address != keepPlain))
            .Select(w => (Matrix: w, Interleaved: repack && Interleaves(types, w)))
            .ToList();
        var arena = new HugePageArena(sources.Sum(s => HugePageArena.Footprint(CopyBytes(s.Matrix, s.Interleaved))));
        var weights = new ResidentWeights(arena);
        foreach (var (w, interleaved) in sources)
        {
            weights._copies.Add(weights.CopyOf(w, interleaved));
        }

        return weights;
    }

    /// <summary>The interleaved groups of <paramref name="w"/>, or null when it was not interleaved (or starts inside a group).</summary>
    public byte* Find(in WeightMatrix w)
    {
        if (Containing(w) is not { Interleaved: true } c)
        {
            return null;
        }

        var offset = w.Address - c.Source;
        var first = offset / c.RowBytes;
        return offset % c.RowBytes == 0 && first % RepackedLayout.Rows == 0 && w.Rows % RepackedLayout.Rows == 0
            ? (byte*)c.Data + (first / RepackedLayout.Rows * c.GroupBytes)
            : null;
    }

    /// <summary><paramref name="w"/> over its byte-for-byte copy, or <paramref name="w"/> itself when it has none.</summary>
    public WeightMatrix Resolve(in WeightMatrix w)
    {
        if (Containing(w) is not { Interleaved: false } c)
        {
            return w;
        }

        var data = (byte*)c.Data + (w.Address - c.Source);
        return new WeightMatrix(w.Name, w.Type, w.Rows, w.Cols, w.RowBytes, data);
    }

    public void Dispose()
    {
        _copies.Clear();
        _arena.Dispose();
    }

    /// <summary>The matrices not inside another one (by address), each once.</summary>
    private static IEnumerable<WeightMatrix> Outermost(IEnumerable<WeightMatrix> matrices)
    {
        long coveredTo = 0;
        foreach (var w in matrices.OrderBy(w => w.Address).ThenByDescending(w => (long)w.Rows * w.RowBytes))
        {
            if (w.Address < coveredTo)
            {
                continue;
            }

            coveredTo = w.Address + ((long)w.Rows * w.RowBytes);
            yield return w;
        }
    }

    private Copy? Containing(in WeightMatrix w)
    {
        foreach (var c in _copies)
        {
            var offset = w.Address - c.Source;
            if (offset >= 0 && offset < (long)c.Rows * c.RowBytes && w.Type == c.Type)
            {
                return c;
            }
        }

        return null;
    }

    private static bool Interleaves(GgmlTypeTable types, in WeightMatrix w) =>
        types[w.Type].Repacked is { GroupGemv: not null } kernel && kernel.Takes(w.Rows) && RepackedLayout.Has(w.Type);

    private static long CopyBytes(in WeightMatrix w, bool interleaved) =>
        interleaved ? RepackedLayout.GroupBytes(w.Type, w.Cols) * (w.Rows / RepackedLayout.Rows) : (long)w.Rows * w.RowBytes;

    private Copy CopyOf(in WeightMatrix w, bool interleaved)
    {
        var bytes = CopyBytes(w, interleaved);
        var data = _arena.Take(bytes);
        var groupBytes = interleaved ? RepackedLayout.GroupBytes(w.Type, w.Cols) : 0;
        if (interleaved)
        {
            for (var g = 0; g < w.Rows / RepackedLayout.Rows; g++)
            {
                RepackedLayout.Interleave(w.Type, w.Data + ((long)g * RepackedLayout.Rows * w.RowBytes), w.RowBytes, data + (g * groupBytes));
            }
        }
        else
        {
            Buffer.MemoryCopy(w.Data, data, bytes, bytes);
        }

        if (w.Mapped)
        {
            Release(w.Data, (long)w.Rows * w.RowBytes);
        }

        return new Copy(w.Address, w.Rows, w.RowBytes, w.Type, interleaved, groupBytes, bytes, (nint)data);
    }

    /// <summary>Drops the process's resident pages of a mapped range (Linux: they are re-read from the file if touched again).</summary>
    private static void Release(byte* start, long bytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var page = Environment.SystemPageSize;
        var first = ((long)start + page - 1) / page * page;
        var end = ((long)start + bytes) / page * page;
        if (end > first)
        {
            _ = Madvise((nint)first, (nuint)(end - first), MadviseDontNeed);
        }
    }

    private const int MadviseDontNeed = 4;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);

    private sealed record Copy(nint Source, int Rows, int RowBytes, Gguf.GgmlType Type, bool Interleaved, long GroupBytes, long Bytes, nint Data);
}
