using System.Collections.Frozen;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// The architectures an engine instance implements, by <c>general.architecture</c>. Immutable: <see cref="With"/>
/// returns a copy with one more (or one replaced) unit, so an embedding application can add its own.
/// </summary>
public sealed class ArchitectureRegistry
{
    private readonly FrozenDictionary<string, IArchitecture> _units;

    private ArchitectureRegistry(IEnumerable<IArchitecture> units)
    {
        _units = units.ToFrozenDictionary(u => u.Name, StringComparer.Ordinal);
    }

    /// <summary>The units the engine ships.</summary>
    public static ArchitectureRegistry BuiltIn { get; } = new([new LlamaArchitecture(), new Qwen2Architecture(), new Qwen3Architecture(), new Phi3Architecture(), new Qwen3MoeArchitecture(), new Gemma2Architecture(), new Gemma3Architecture()]);

    public IReadOnlyList<string> Names => [.. _units.Keys.Order(StringComparer.Ordinal)];

    public ArchitectureRegistry With(IArchitecture unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        return new ArchitectureRegistry(_units.Values.Where(u => u.Name != unit.Name).Append(unit));
    }

    /// <summary>The unit for the file's <c>general.architecture</c>; <see cref="UnsupportedModelException"/> naming it when none.</summary>
    public IArchitecture For(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var name = file.GetTyped(GgufKeys.Architecture, "a string", GgufValueType.String)?.AsString()
            ?? throw new KeyNotFoundException($"{file.Path}: metadata key '{GgufKeys.Architecture}' is missing; the engine picks the architecture by it");
        return _units.TryGetValue(name, out var unit)
            ? unit
            : throw new UnsupportedModelException(file.Path, $"architecture '{name}' is not implemented by the engine (implemented: {string.Join(", ", Names)})");
    }
}
