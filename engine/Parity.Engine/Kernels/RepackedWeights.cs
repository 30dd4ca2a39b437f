using System.Runtime.InteropServices;
using Parity.Engine.Model;

namespace Parity.Engine.Kernels;

/// <summary>
/// The weight matrices the repacked products read, interleaved once at load (<see cref="RepackedLayout"/>) into memory
/// of their own, tensor by tensor: as each copy is made, the pages of the file mapping it came from are handed back to the
/// kernel (they stay readable from the page cache), so the process holds each repacked weight once, not twice.
/// </summary>
public sealed unsafe partial class RepackedWeights : IDisposable
{
    private readonly List<Copy> _copies = [];

    private RepackedWeights()
    {
    }

    /// <summary>Bytes held by the interleaved copies.</summary>
    public long Bytes => _copies.Sum(c => c.GroupBytes * (c.Rows / RepackedLayout.Rows));

    /// <summary>
    /// Interleaves every matrix of <paramref name="matrices"/> that <paramref name="types"/> repacks into a layout the
    /// engine has (all its rows, a multiple of eight), except <paramref name="keepPlain"/>. A matrix that lies inside
    /// another (a fused projection's part) is read from its parent's copy.
    /// </summary>
    public static RepackedWeights Build(IEnumerable<WeightMatrix> matrices, GgmlTypeTable types, nint keepPlain)
    {
        ArgumentNullException.ThrowIfNull(matrices);
        ArgumentNullException.ThrowIfNull(types);
        var weights = new RepackedWeights();
        var candidates = matrices
            .Where(w => w.Data != null && w.Address != keepPlain && Interleaves(types, w))
            .OrderBy(w => w.Address).ThenByDescending(w => w.Rows);
        long coveredTo = 0;
        foreach (var w in candidates)
        {
            if (w.Address < coveredTo)
            {
                continue;
            }

            weights._copies.Add(Interleave(w));
            coveredTo = w.Address + ((long)w.Rows * w.RowBytes);
        }

        return weights;
    }

    /// <summary>The interleaved groups of <paramref name="w"/>, or null when it was not interleaved (or starts inside a group).</summary>
    public byte* Find(in WeightMatrix w)
    {
        foreach (var c in _copies)
        {
            var offset = w.Address - c.Source;
            if (offset >= 0 && offset < (long)c.Rows * c.RowBytes && w.Type == c.Type)
            {
                var first = offset / c.RowBytes;
                return offset % c.RowBytes == 0 && first % RepackedLayout.Rows == 0 && w.Rows % RepackedLayout.Rows == 0
                    ? (byte*)c.Data + (first / RepackedLayout.Rows * c.GroupBytes)
                    : null;
            }
        }

        return null;
    }

    public void Dispose()
    {
        foreach (var c in _copies)
        {
            NativeMemory.AlignedFree((void*)c.Data);
        }

        _copies.Clear();
    }

    private static bool Interleaves(GgmlTypeTable types, in WeightMatrix w) =>
        types[w.Type].Repacked is { GroupGemv: not null } kernel && kernel.Takes(w.Rows) && RepackedLayout.Has(w.Type);

    private static Copy Interleave(in WeightMatrix w)
    {
        var groupBytes = RepackedLayout.GroupBytes(w.Type, w.Cols);
        var groups = w.Rows / RepackedLayout.Rows;
        var data = (byte*)NativeMemory.AlignedAlloc((nuint)(groupBytes * groups), 64);
        for (var g = 0; g < groups; g++)
        {
            RepackedLayout.Interleave(w.Type, w.Data + ((long)g * RepackedLayout.Rows * w.RowBytes), w.RowBytes, data + (g * groupBytes));
        }

        if (w.Mapped)
        {
            Release(w.Data, (long)w.Rows * w.RowBytes);
        }
        return new Copy(w.Address, w.Rows, w.RowBytes, w.Type, groupBytes, (nint)data);
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

    private sealed record Copy(nint Source, int Rows, int RowBytes, Gguf.GgmlType Type, long GroupBytes, nint Data);
}
