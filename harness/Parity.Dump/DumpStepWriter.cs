using System.Runtime.InteropServices;

namespace Parity.Dump;

/// <summary>
/// Writes one step directory of a run, one tensor at a time in graph order. Tensor bytes go straight to a
/// temporary data file as they arrive, so a step of any size costs only its list of entries in memory;
/// <see cref="Complete"/> then writes <c>tensors.safetensors</c> (whose JSON header must precede the data, which
/// is why the data cannot be written in place) and <c>manifest.json</c>. Not thread-safe: llama.cpp's eval callback
/// and the engine's trace both call from one thread. Obtain one from <see cref="DumpRunWriter.BeginStep"/>.
/// </summary>
public sealed class DumpStepWriter : IDisposable
{
    private const string DataTempFileName = "tensors.data.tmp";

    private readonly DumpRunWriter _run;
    private readonly string _dataPath;
    private readonly List<DumpTensorEntry> _entries = [];
    private readonly Dictionary<string, int> _occurrences = new(StringComparer.Ordinal);
    private FileStream? _data;
    private long _offset;
    private State _state;

    internal DumpStepWriter(DumpRunWriter run, int step, string directory)
    {
        _run = run;
        Step = step;
        Directory = directory;
        _dataPath = Path.Combine(directory, DataTempFileName);
        _data = new FileStream(_dataPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 16);
    }

    private enum State
    {
        Writing,
        Completed,

        // An Add or Complete failed part-way (disk full, ...): the data file no longer matches the entries.
        Faulted,
        Disposed,
    }

    public int Step { get; }

    /// <summary>The step directory inside the run's temporary directory (its final place appears only when the run completes).</summary>
    public string Directory { get; }

    /// <summary>Entries added so far, in order.</summary>
    public IReadOnlyList<DumpTensorEntry> Tensors => _entries;

    /// <summary>Bytes of tensor data written so far.</summary>
    public long DataLength => _offset;

    /// <summary>
    /// Appends a tensor. <paramref name="ggmlType"/> is ggml's type name (<c>f32</c>, <c>f16</c>, <c>q8_0</c>);
    /// <paramref name="ne"/> has 1 to 4 ggml dimensions (missing ones are 1); <paramref name="data"/> is the tensor in
    /// row-major order (ne[0] fastest), gathered first if the source was a non-contiguous view
    /// (<paramref name="madeContiguous"/>). For element types the length must be the product of <paramref name="ne"/>
    /// times the element size; quantized data is stored as raw bytes of any length.
    /// </summary>
    /// <returns>The entry, with its key, occurrence, layer, dtype, shape and offsets assigned.</returns>
    public DumpTensorEntry Add(string name, string op, string ggmlType, ReadOnlySpan<long> ne, bool madeContiguous, ReadOnlySpan<byte> data)
    {
        ThrowIfNotWriting();
        if (DumpTensorNames.CheckName(name) is { } problem)
        {
            throw new ArgumentException(problem, nameof(name));
        }

        ArgumentNullException.ThrowIfNull(op);
        ArgumentException.ThrowIfNullOrEmpty(ggmlType);
        if (ne.Length is 0 or > DumpFormat.MaxDimensions)
        {
            throw new ArgumentException($"tensor '{name}': 1 to {DumpFormat.MaxDimensions} ggml dimensions expected, got {ne.Length}", nameof(ne));
        }

        var ne4 = new long[DumpFormat.MaxDimensions];
        ne4.AsSpan().Fill(1);
        ne.CopyTo(ne4);
        if (ne.ContainsAnyInRange(long.MinValue, -1))
        {
            throw new ArgumentException($"tensor '{name}': negative dimension in ne {DumpTensorEntry.FormatDims(ne4)}", nameof(ne));
        }

        var dtype = DumpDTypes.FromGgmlType(ggmlType);
        long[] shape;
        if (dtype == DumpDType.U8)
        {
            // Quantized blocks (and anything else ggml has that safetensors has not) are kept as raw bytes: this
            // library does not know block geometry, and a reader needs ggmlType and ne to decode them anyway.
            shape = [data.Length];
        }
        else
        {
            shape = DumpTensorNames.ShapeFromNe(ne4);
            var expected = ByteCount(name, ne4, dtype);
            if (data.Length != expected)
            {
                throw new ArgumentException($"tensor '{name}' ({ggmlType}, ne {DumpTensorEntry.FormatDims(ne4)}): expected {expected} bytes of data, got {data.Length}", nameof(data));
            }
        }

        var occurrence = _occurrences.GetValueOrDefault(name);
        var entry = new DumpTensorEntry
        {
            Key = DumpTensorNames.KeyFor(name, occurrence),
            Name = name,
            Op = op,
            Occurrence = occurrence,
            Layer = DumpTensorNames.ParseLayer(name),
            DType = dtype,
            GgmlType = ggmlType,
            Ne = ne4,
            Shape = shape,
            MadeContiguous = madeContiguous,
            ByteOffset = _offset,
            ByteLength = data.Length,
        };

        try
        {
            _data!.Write(data);
        }
        catch
        {
            _state = State.Faulted;
            throw;
        }

        _occurrences[name] = occurrence + 1;
        _offset += data.Length;
        _entries.Add(entry);
        return entry;
    }

    /// <summary>Appends an F32 tensor: the cheap way for the engine and tests to dump a float buffer.</summary>
    public DumpTensorEntry Add(string name, string op, ReadOnlySpan<float> values, ReadOnlySpan<long> ne, bool madeContiguous = false) =>
        Add(name, op, "f32", ne, madeContiguous, MemoryMarshal.AsBytes(values));

    /// <summary>Appends an I32 tensor (expert indices).</summary>
    public DumpTensorEntry Add(string name, string op, ReadOnlySpan<int> values, ReadOnlySpan<long> ne) =>
        Add(name, op, "i32", ne, false, MemoryMarshal.AsBytes(values));

    /// <summary>
    /// Finishes the step: writes <c>tensors.safetensors</c> and then <c>manifest.json</c> into the step directory and
    /// removes the temporary data. <paramref name="generatedTokens"/> is every token generated so far including this
    /// step's output (empty or null when none is known yet).
    /// </summary>
    public StepManifest Complete(IReadOnlyList<int> tokens, IReadOnlyList<int> positions, IReadOnlyList<int>? generatedTokens = null)
    {
        ThrowIfNotWriting();
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(positions);
        if (tokens.Count != positions.Count)
        {
            throw new ArgumentException($"step {Step}: {positions.Count} positions for {tokens.Count} tokens", nameof(positions));
        }

        try
        {
            var manifest = new StepManifest
            {
                Producer = _run.Info.Producer,
                Model = _run.Info.Model,
                Prompt = _run.Info.Prompt,
                Step = Step,
                Positions = [.. positions],
                Tokens = [.. tokens],
                GeneratedTokens = generatedTokens is null ? [] : [.. generatedTokens],
                Options = _run.Info.Options,
                CreatedUtc = _run.Time.GetUtcNow(),
                Tensors = _entries,
            };

            WriteTensorsFile();
            DumpJson.Write(Path.Combine(Directory, DumpFormat.StepManifestFileName), manifest);
            File.Delete(_dataPath);
            _state = State.Completed;
            _run.OnStepClosed(this, completed: true);
            return manifest;
        }
        catch
        {
            _state = State.Faulted;
            throw;
        }
    }

    /// <summary>Without <see cref="Complete"/>, removes the step directory: the run will not list this step.</summary>
    public void Dispose()
    {
        if (_state is State.Completed or State.Disposed)
        {
            _state = State.Disposed;
            return;
        }

        _state = State.Disposed;
        _data?.Dispose();
        _data = null;
        DumpRunWriter.TryDeleteDirectory(Directory);
        _run.OnStepClosed(this, completed: false);
    }

    private void WriteTensorsFile()
    {
        var data = _data!;
        data.Flush();
        if (data.Length != _offset)
        {
            throw new IOException($"{_dataPath}: holds {data.Length} bytes but {_offset} were written to it");
        }

        var header = SafetensorsHeader.Build(_entries);
        var tensorsPath = Path.Combine(Directory, DumpFormat.TensorsFileName);

        // Buffering off for the output: the header is one write and the copy below already moves large blocks.
        using (var output = new FileStream(tensorsPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            output.SetLength(header.LongLength + _offset);
            output.Write(header);
            data.Position = 0;
            data.CopyTo(output, bufferSize: 1 << 20);
            output.Flush(flushToDisk: false);
        }

        data.Dispose();
        _data = null;
    }

    private static long ByteCount(string name, ReadOnlySpan<long> ne, DumpDType dtype)
    {
        try
        {
            var bytes = (long)DumpDTypes.ElementSize(dtype);
            foreach (var d in ne)
            {
                bytes = checked(bytes * d);
            }

            return bytes;
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"tensor '{name}': ne {DumpTensorEntry.FormatDims(ne.ToArray())} overflows a 64-bit byte count", nameof(ne));
        }
    }

    private void ThrowIfNotWriting()
    {
        ObjectDisposedException.ThrowIf(_state == State.Disposed, this);
        switch (_state)
        {
            case State.Completed:
                throw new InvalidOperationException($"step {Step} is already complete");
            case State.Faulted:
                throw new InvalidOperationException($"step {Step} failed part-way while writing and cannot continue; dispose it");
        }
    }
}
