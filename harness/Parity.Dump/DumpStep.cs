using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Parity.Gguf;

namespace Parity.Dump;

/// <summary>
/// One step directory, opened for reading: the manifest, and <c>tensors.safetensors</c> memory-mapped. Opening
/// validates the safetensors header on its own terms (lengths, offsets, dtype and shape sizes) and cross-checks it
/// against the manifest; tensor bytes are never read at open, and <see cref="GetBytes"/> is a view into the map.
/// Spans stay valid until the step is disposed.
/// </summary>
public sealed unsafe class DumpStep : IDisposable
{
    private readonly ReadOnlyMappedFile _mapped;
    private readonly Lock _handleLock = new();
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _handle;
    private readonly Dictionary<string, DumpTensorEntry> _byKey;
    private readonly Dictionary<string, List<DumpTensorEntry>> _byName;
    private readonly long _dataStart;
    private readonly long _dataLength;

    private DumpStep(string directory, string tensorsPath, StepManifest manifest, SafetensorsLayout layout, ReadOnlyMappedFile mapped)
    {
        Directory = directory;
        TensorsPath = tensorsPath;
        Manifest = manifest;
        SafetensorsMetadata = layout.Metadata;
        _dataStart = layout.DataStart;
        _dataLength = layout.DataLength;
        _mapped = mapped;
        _byKey = manifest.Tensors.ToDictionary(t => t.Key, StringComparer.Ordinal);
        _byName = new Dictionary<string, List<DumpTensorEntry>>(StringComparer.Ordinal);
        foreach (var t in manifest.Tensors)
        {
            if (!_byName.TryGetValue(t.Name, out var list))
            {
                _byName[t.Name] = list = [];
            }

            list.Add(t);
        }
    }

    /// <summary>The step directory as the caller spelled it.</summary>
    public string Directory { get; }

    public string TensorsPath { get; }

    public StepManifest Manifest { get; }

    /// <summary>The step number (0 = the prompt).</summary>
    public int Step => Manifest.Step;

    /// <summary>All tensors in graph order.</summary>
    public IReadOnlyList<DumpTensorEntry> Tensors => Manifest.Tensors;

    /// <summary>The safetensors <c>__metadata__</c> (format and formatVersion).</summary>
    public IReadOnlyDictionary<string, string> SafetensorsMetadata { get; }

    /// <summary>Opens and validates a step directory; every problem is a <see cref="DumpFormatException"/> naming the file.</summary>
    public static DumpStep Open(string stepDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stepDirectory);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("parity dumps are little-endian and this library does not byte-swap");
        }

        if (!System.IO.Directory.Exists(stepDirectory))
        {
            throw new DumpFormatException(stepDirectory, "", "step directory missing");
        }

        var manifestPath = Path.Combine(stepDirectory, DumpFormat.StepManifestFileName);
        var manifest = DumpJson.Read(manifestPath, "step manifest", ManifestBinder.BindStep);
        StepManifestRules.Validate(manifestPath, manifest);

        var tensorsPath = Path.Combine(stepDirectory, manifest.TensorsFile);
        var info = new FileInfo(tensorsPath);
        if (!info.Exists)
        {
            throw new DumpFormatException(tensorsPath, "", "missing (expected the step's safetensors file)");
        }

        var length = info.Length;
        if (length < SafetensorsHeader.LengthPrefixBytes)
        {
            // Checked before mapping: an empty file cannot be mapped at all.
            throw new DumpFormatException(tensorsPath, "header length", $"the file has {length} bytes, fewer than the 8-byte header length (truncated?)", 0);
        }

        var mapped = ReadOnlyMappedFile.Open(info.FullName, length);
        try
        {
            var layout = SafetensorsHeader.Parse(tensorsPath, mapped.BaseAddress, length);
            CrossCheck(manifestPath, manifest, layout);
            return new DumpStep(stepDirectory, tensorsPath, manifest, layout, mapped);
        }
        catch
        {
            mapped.Dispose();
            throw;
        }
    }

    public bool TryGet(string key, [MaybeNullWhen(false)] out DumpTensorEntry entry) => _byKey.TryGetValue(key, out entry);

    public DumpTensorEntry Get(string key) =>
        _byKey.TryGetValue(key, out var entry) ? entry : throw new KeyNotFoundException($"{Directory}: no tensor with key '{key}'");

    /// <summary>The <paramref name="occurrence"/>-th (0-based) tensor named <paramref name="name"/>.</summary>
    public bool TryGet(string name, int occurrence, [MaybeNullWhen(false)] out DumpTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (occurrence >= 0 && _byName.TryGetValue(name, out var list) && occurrence < list.Count)
        {
            entry = list[occurrence];
            return true;
        }

        entry = null;
        return false;
    }

    /// <summary>Every tensor named <paramref name="name"/>, by occurrence; empty when there is none.</summary>
    public IReadOnlyList<DumpTensorEntry> GetOccurrences(string name) =>
        _byName.TryGetValue(name, out var list) ? list : [];

    /// <summary>The tensor's bytes, straight from the map (no copy).</summary>
    public ReadOnlySpan<byte> GetBytes(DumpTensorEntry entry)
    {
        var (fileOffset, length) = Locate(entry);
        if (length > int.MaxValue)
        {
            throw new NotSupportedException($"{TensorsPath}: tensor '{entry.Key}' has {length} bytes, more than a span can hold");
        }

        return new ReadOnlySpan<byte>(_mapped.BaseAddress + fileOffset, (int)length);
    }

    /// <summary>
    /// Done with <paramref name="entry"/> for now: its whole pages leave this process's resident set (they stay in the
    /// page cache, and a later view faults them back in). See <see cref="ReadOnlyMappedFile.Release"/>.
    /// </summary>
    public void Release(DumpTensorEntry entry)
    {
        var (fileOffset, length) = Locate(entry);
        _mapped.Release(fileOffset, length);
    }

    /// <summary>
    /// An F32 tensor's values, straight from the map. The span may be unaligned (tensors are packed with no padding,
    /// as safetensors requires, so an odd-sized F16 or U8 tensor shifts the ones after it); x64 and Arm64 read
    /// unaligned floats without penalty worth noting. Other dtypes: <see cref="CopyAsFloat32"/>.
    /// </summary>
    public ReadOnlySpan<float> GetFloats(DumpTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.DType != DumpDType.F32)
        {
            throw new InvalidOperationException($"{TensorsPath}: tensor '{entry.Key}' is {entry.DType}, not F32; use CopyAsFloat32");
        }

        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(GetBytes(entry));
    }

    /// <summary>An I32 tensor's values (expert indices), straight from the map.</summary>
    public ReadOnlySpan<int> GetInt32s(DumpTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.DType != DumpDType.I32)
        {
            throw new InvalidOperationException($"{TensorsPath}: tensor '{entry.Key}' is {entry.DType}, not I32");
        }

        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(GetBytes(entry));
    }

    /// <summary>
    /// Reads an F32 tensor into <paramref name="destination"/> with a positioned read instead of touching the map, for a
    /// caller that needs its own writable copy (teacher forcing). Thread-safe.
    /// </summary>
    public void ReadFloats(DumpTensorEntry entry, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.DType != DumpDType.F32)
        {
            throw new InvalidOperationException($"{TensorsPath}: tensor '{entry.Key}' is {entry.DType}, not F32; use CopyAsFloat32");
        }

        var (offset, length) = Locate(entry);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination[..(int)(length / sizeof(float))]);
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        lock (_handleLock)
        {
            handle = _handle ??= File.OpenHandle(TensorsPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        }

        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes[read..], offset + read);
            if (n <= 0)
            {
                throw new DumpFormatException(TensorsPath, $"tensor '{entry.Key}'", $"{length} bytes at offset {offset}, but the file ended after {read} (truncated since it was opened?)");
            }

            read += n;
        }
    }

    /// <summary>Converts an F32, F16 or BF16 tensor to floats; <paramref name="destination"/> holds exactly its element count.</summary>
    public void CopyAsFloat32(DumpTensorEntry entry, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (destination.Length != entry.ElementCount)
        {
            throw new ArgumentException($"tensor '{entry.Key}' has {entry.ElementCount} elements; the destination has {destination.Length}", nameof(destination));
        }

        var bytes = GetBytes(entry);
        switch (entry.DType)
        {
            case DumpDType.F32:
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                break;
            case DumpDType.F16:
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                }

                break;
            case DumpDType.BF16:
                // bfloat16 is the top half of an IEEE single, so widening is a shift (exact, NaNs included).
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                }

                break;
            default:
                throw new InvalidOperationException($"{TensorsPath}: tensor '{entry.Key}' is {entry.DType}; only F32, F16 and BF16 convert to floats");
        }
    }

    /// <summary>A new array holding <see cref="CopyAsFloat32"/> of the tensor.</summary>
    public float[] ToFloat32Array(DumpTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var result = new float[entry.ElementCount];
        CopyAsFloat32(entry, result);
        return result;
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _mapped.Dispose();
    }

    private (long FileOffset, long Length) Locate(DumpTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);

        // Entries are plain records, so one from another step could be passed in; only this step's own offsets
        // (validated against the file at open) may be turned into a pointer.
        if (!_byKey.TryGetValue(entry.Key, out var own) || own.ByteOffset != entry.ByteOffset || own.ByteLength != entry.ByteLength || own.DType != entry.DType)
        {
            throw new ArgumentException($"tensor '{entry.Key}' is not an entry of {Directory}", nameof(entry));
        }

        System.Diagnostics.Debug.Assert(own.ByteOffset + own.ByteLength <= _dataLength, "offsets were validated at open");
        return (_dataStart + own.ByteOffset, own.ByteLength);
    }

    private static void CrossCheck(string manifestPath, StepManifest manifest, SafetensorsLayout layout)
    {
        var file = manifest.TensorsFile;
        if (manifest.Tensors.Count != layout.Tensors.Count)
        {
            throw new DumpFormatException(manifestPath, "tensors", $"the manifest lists {manifest.Tensors.Count} tensors but the {file} header has {layout.Tensors.Count}");
        }

        for (var i = 0; i < layout.Tensors.Count; i++)
        {
            var m = manifest.Tensors[i];
            var h = layout.Tensors[i];
            if (m.Key != h.Key)
            {
                throw new DumpFormatException(manifestPath, $"tensors[{i}]", $"the manifest has '{m.Key}' but the {file} header has '{h.Key}' (same keys in the same order expected)");
            }

            if (m.DType != h.DType)
            {
                throw new DumpFormatException(manifestPath, $"tensor '{m.Key}' dtype", $"the manifest says {m.DType} but the {file} header says {h.DType}");
            }

            if (!m.Shape.SequenceEqual(h.Shape))
            {
                throw new DumpFormatException(manifestPath, $"tensor '{m.Key}' shape", $"the manifest says {DumpTensorEntry.FormatDims(m.Shape)} but the {file} header says {DumpTensorEntry.FormatDims(h.Shape)}");
            }

            if (m.ByteOffset != h.Begin || m.ByteOffset + m.ByteLength != h.End)
            {
                throw new DumpFormatException(manifestPath, $"tensor '{m.Key}' bytes", $"the manifest says [{m.ByteOffset},{m.ByteOffset + m.ByteLength}] but the {file} header says data_offsets [{h.Begin},{h.End}]");
            }
        }
    }
}
