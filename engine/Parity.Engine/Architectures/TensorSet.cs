using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// An architecture's tensors as it takes them from a GGUF file, shape-checked, with a record of which it used: as
/// llama.cpp's loader refuses a file with tensors no architecture creates ("wrong number of tensors"), a tensor the unit
/// did not take (a bias, an expert) is refused by name instead of being silently ignored.
/// </summary>
public sealed class TensorSet
{
    private readonly GgufFile _file;
    private readonly string _architecture;
    private readonly GgmlTypeTable _types;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <param name="types">The types the engine reads (<see cref="GgmlTypeTable.Default"/> when null).</param>
    public TensorSet(GgufFile file, string architecture, GgmlTypeTable? types = null)
    {
        _file = file ?? throw new ArgumentNullException(nameof(file));
        _architecture = architecture;
        _types = types ?? GgmlTypeTable.Default;
    }

    public bool Has(string name) => _file.TryGetTensor(name, out _);

    /// <summary>A weight matrix of <paramref name="rows"/> rows of <paramref name="cols"/> values (ggml ne [cols, rows]).</summary>
    public WeightMatrix Matrix(string name, int cols, int rows)
    {
        var t = Take(name);
        if (t.RowLength != cols || t.RowCount != rows)
        {
            throw new InvalidDataException($"{_file.Path}: tensor '{name}' has shape {t.ShapeString}, expected [{cols}, {rows}]");
        }

        _ = Traits(name, t);
        return new WeightMatrix(_file, t);
    }

    /// <summary>
    /// Stacked experts, ggml ne [cols, rows, experts]: one matrix of <paramref name="rows"/> rows per expert, each a
    /// view of the tensor's rows.
    /// </summary>
    public WeightMatrix[] Experts(string name, int cols, int rows, int experts)
    {
        var t = Take(name);
        if (t.Dimensions.Count != 3 || t.Dimensions[0] != cols || t.Dimensions[1] != rows || t.Dimensions[2] != experts)
        {
            throw new InvalidDataException($"{_file.Path}: tensor '{name}' has shape {t.ShapeString}, expected [{cols}, {rows}, {experts}]");
        }

        _ = Traits(name, t);
        var stacked = new WeightMatrix(_file, t);
        return [.. Enumerable.Range(0, experts).Select(e => stacked.Slice(e * rows, rows))];
    }

    /// <summary>A vector (norm weights, frequency factors), dequantized once.</summary>
    public float[] Vector(string name, int length)
    {
        var t = Take(name);
        if (t.ElementCount != length)
        {
            throw new InvalidDataException($"{_file.Path}: tensor '{name}' has shape {t.ShapeString}, expected [{length}]");
        }

        var values = new float[length];
        Traits(name, t).Dequantize(_file.GetTensorBytes(t), values);
        return values;
    }

    private GgmlTypeTraits Traits(string name, GgufTensorInfo t) =>
        _types.TryGet(t.Type, out var traits) && traits.IsWeightType
            ? traits
            : throw new UnsupportedModelException(_file.Path, $"tensor '{name}' has type {t.Type}, which the engine does not implement");

    /// <summary>Refuses the file when it has tensors this architecture does not use, naming up to five of them.</summary>
    public void RequireAllUsed()
    {
        var unused = _file.Tensors.Select(t => t.Name).Where(n => !_used.Contains(n)).ToList();
        if (unused.Count > 0)
        {
            var names = string.Join(", ", unused.Take(5).Select(n => $"'{n}'")) + (unused.Count > 5 ? $" and {unused.Count - 5} more" : string.Empty);
            throw new UnsupportedModelException(_file.Path, $"{unused.Count} tensor(s) the engine's {_architecture} unit does not implement: {names}");
        }
    }

    private GgufTensorInfo Take(string name)
    {
        if (!_file.TryGetTensor(name, out var t))
        {
            throw new InvalidDataException($"{_file.Path}: tensor '{name}' is missing (the {_architecture} architecture requires it)");
        }

        _used.Add(name);
        return t;
    }
}
