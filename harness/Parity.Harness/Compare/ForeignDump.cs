using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Parity.Dump;

namespace Parity.Harness.Compare;

/// <summary>
/// A dump from outside Parity's format: a directory of <c>.npy</c> files (one step; or <c>step-NNNN/</c>
/// subdirectories of them), or of <c>.safetensors</c> files, one per step in name order, with tensors named as their
/// producer names them. It carries no run identity, so it is imported as a Parity dump that borrows the reference's
/// (model, prompt, options, each step's tokens and positions): the comparison then checks values and shapes, aligned
/// by a name map. Ops are unknown and not compared.
/// </summary>
public static partial class ForeignDump
{
    public const string UnknownOp = "UNKNOWN";

    /// <summary>Whether <paramref name="directory"/> holds a foreign dump rather than a Parity run.</summary>
    public static bool IsForeign(string directory) =>
        Directory.Exists(directory) && !File.Exists(Path.Combine(directory, DumpFormat.RunManifestFileName)) && Steps(directory).Count > 0;

    /// <summary>Writes <paramref name="directory"/>'s tensors as a Parity run at <paramref name="output"/>, shaped after <paramref name="reference"/>.</summary>
    public static string Import(string directory, DumpRun reference, string output)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var steps = Steps(directory);
        if (steps.Count > reference.StepCount)
        {
            throw new InvalidDataException($"{directory}: {steps.Count} steps, but the reference {reference.Directory} has {reference.StepCount}");
        }

        var m = reference.Manifest;
        var producer = new DumpProducer { Name = "foreign", Version = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)) };
        using var writer = DumpRunWriter.Create(output, new DumpRunInfo { Producer = producer, Model = m.Model, Prompt = m.Prompt, Options = m.Options });
        for (var i = 0; i < steps.Count; i++)
        {
            using var referenceStep = reference.OpenStep(i);
            using var step = writer.BeginStep(i);
            foreach (var (name, ne, values) in steps[i]())
            {
                step.Add(name, UnknownOp, values, ne);
            }

            step.Complete(referenceStep.Manifest.Tokens, referenceStep.Manifest.Positions, referenceStep.Manifest.GeneratedTokens);
        }

        writer.Complete(steps.Count == reference.StepCount ? reference.GeneratedTokens : reference.GeneratedTokens.Take(steps.Count - 1).ToList());
        return output;
    }

    private static List<Func<IEnumerable<(string Name, long[] Ne, float[] Values)>>> Steps(string directory)
    {
        var stepDirectories = Directory.EnumerateDirectories(directory).Where(d => StepDirectory().IsMatch(Path.GetFileName(d))).Order(StringComparer.Ordinal).ToList();
        if (stepDirectories.Count > 0)
        {
            return [.. stepDirectories.Select(d => (Func<IEnumerable<(string, long[], float[])>>)(() => NpyFiles(d)))];
        }

        var npy = Directory.EnumerateFiles(directory, "*.npy").Any();
        if (npy)
        {
            return [() => NpyFiles(directory)];
        }

        return [.. Directory.EnumerateFiles(directory, "*.safetensors").Order(StringComparer.Ordinal).Select(f => (Func<IEnumerable<(string, long[], float[])>>)(() => Safetensors(f)))];
    }

    private static IEnumerable<(string, long[], float[])> NpyFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.npy").Order(StringComparer.Ordinal).Select(f => Npy(f));

    /// <summary>One .npy file (format 1.0 to 3.0), little-endian f4, f2 or f8, C order; its row-major shape reversed is ggml's ne.</summary>
    private static (string, long[], float[]) Npy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || !bytes.AsSpan(1, 5).SequenceEqual("NUMPY"u8))
        {
            throw new InvalidDataException($"{path}: not a .npy file (no \\x93NUMPY magic at offset 0)");
        }

        var (lengthBytes, headerLength) = bytes[6] == 1 ? (2, (int)BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8))) : (4, (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        var start = 8 + lengthBytes;
        if (headerLength < 0 || start + headerLength > bytes.Length)
        {
            throw new InvalidDataException($"{path}: header length {headerLength} at offset 8 runs past the end of the file");
        }

        var header = Encoding.Latin1.GetString(bytes, start, headerLength);
        var descr = NpyDescr().Match(header) is { Success: true } d ? d.Groups[1].Value : throw new InvalidDataException($"{path}: no 'descr' in the header");
        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: Fortran order is not read; save the array C-contiguous (np.ascontiguousarray)");
        }

        var shape = NpyShape().Match(header) is { Success: true } s
            ? s.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray()
            : throw new InvalidDataException($"{path}: no 'shape' in the header");
        return (Path.GetFileNameWithoutExtension(path), Ne(path, shape), Floats(path, descr, bytes.AsSpan(start + headerLength), shape.Aggregate(1L, (a, b) => a * b)));
    }

    private static IEnumerable<(string, long[], float[])> Safetensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = bytes.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : -1;
        if (length < 2 || 8 + length > bytes.Length)
        {
            throw new InvalidDataException($"{path}: header length {length} at offset 0 does not fit the file");
        }

        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)length));
        var data = 8 + (int)length;
        var tensors = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Select(p => (p.Name, Dtype: p.Value.GetProperty("dtype").GetString()!, Shape: p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), Begin: p.Value.GetProperty("data_offsets")[0].GetInt64(), End: p.Value.GetProperty("data_offsets")[1].GetInt64()))
            .OrderBy(t => t.Begin).ToList();
        foreach (var t in tensors)
        {
            var descr = t.Dtype switch { "F32" => "<f4", "F16" => "<f2", "F64" => "<f8", _ => throw new InvalidDataException($"{path}: tensor '{t.Name}' has dtype {t.Dtype}; F32, F16 and F64 are read") };
            yield return (t.Name, Ne(path, t.Shape), Floats(path, descr, bytes.AsSpan(data + (int)t.Begin, (int)(t.End - t.Begin)), t.Shape.Aggregate(1L, (a, b) => a * b)));
        }
    }

    private static long[] Ne(string path, long[] shape) => shape.Length is >= 1 and <= DumpFormat.MaxDimensions
        ? [.. shape.Reverse()]
        : throw new InvalidDataException($"{path}: shape ({string.Join(", ", shape)}) has {shape.Length} dimensions; 1 to {DumpFormat.MaxDimensions} are compared");

    private static float[] Floats(string path, string descr, ReadOnlySpan<byte> data, long count)
    {
        var size = descr switch { "<f4" => 4, "<f2" => 2, "<f8" => 8, _ => throw new InvalidDataException($"{path}: dtype '{descr}'; little-endian float32, float16 and float64 are read") };
        if (data.Length < count * size)
        {
            throw new InvalidDataException($"{path}: {count} values of {size} bytes expected, {data.Length} bytes present");
        }

        var values = new float[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = size switch
            {
                4 => BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]),
                2 => (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]),
                _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(data[(8 * i)..]),
            };
        }

        return values;
    }

    [GeneratedRegex(@"^step-\d{4,}$")]
    private static partial Regex StepDirectory();

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex NpyDescr();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex NpyShape();
}

/// <summary>A foreign dump imported into a temporary Parity run for one comparison, deleted with it.</summary>
public sealed class ImportedDump : IDisposable
{
    public ImportedDump(string foreign, DumpRun reference)
    {
        Directory = Path.Combine(Path.GetTempPath(), "parity-foreign-" + Guid.NewGuid().ToString("N")[..12]);
        ForeignDump.Import(foreign, reference, Directory);
    }

    public string Directory { get; }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
