using Parity.Gguf;

namespace Parity.Engine.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>
/// The engine's ggml types, one <see cref="GgmlTypeTraits"/> row each, for one llama.cpp library variant: every place
/// that depends on a type looks it up here, so adding a type is adding a row. Immutable; the engine takes its table
/// from <c>EngineOptions</c> (<see cref="For"/> its variant unless the caller brings its own, e.g. a replacement
/// kernel to evaluate under bisect).
/// </summary>
public sealed class GgmlTypeTable
{
    private static readonly GgmlTypeTable Avx2Table = Build(VariantKernels.Avx2);

    private static readonly GgmlTypeTable AvxTable = Build(VariantKernels.Avx);

    private static readonly GgmlTypeTable NoAvxTable = Build(VariantKernels.NoAvx);

    private readonly GgmlTypeTraits?[] _rows;

    private GgmlTypeTable(GgmlTypeTraits?[] rows, VariantKernels variant)
    {
        _rows = rows;
        Kernels = variant;
    }

    /// <summary>The built-in kernels of the AVX-512 library, each bit-identical with that build of ggml's CPU backend.</summary>
    public static GgmlTypeTable Default { get; } = Build(VariantKernels.Avx512);

    /// <summary>The built-in kernels of <paramref name="variant"/>; a variant the engine has no kernels for is refused by name.</summary>
    public static GgmlTypeTable For(GgmlVariant variant) => variant switch
    {
        GgmlVariant.Avx512 => Default,
        GgmlVariant.Avx2 => Avx2Table,
        GgmlVariant.Avx => AvxTable,
        GgmlVariant.NoAvx => NoAvxTable,
        _ => throw new NotSupportedException($"the engine has no kernels in the order of llama.cpp's {variant.Name()} library"),
    };

    /// <summary>The library variant whose arithmetic this table's kernels follow.</summary>
    public GgmlVariant Variant => Kernels.Variant;

    /// <summary>The variant's float arithmetic outside the types' rows (tinyBLAS, attention dots, <c>expf</c>).</summary>
    public VariantKernels Kernels { get; }

    /// <summary>The row of <paramref name="type"/>; a type without one is refused, naming it.</summary>
    public GgmlTypeTraits this[GgmlType type] =>
        TryGet(type, out var row) ? row : throw new NotSupportedException($"ggml type {type} has no row in the engine's type table");

    public bool TryGet(GgmlType type, out GgmlTypeTraits row)
    {
        row = (uint)type < (uint)_rows.Length ? _rows[(int)type]! : null!;
        return row is not null;
    }

    /// <summary>Every row, in ggml's numbering.</summary>
    public IEnumerable<GgmlTypeTraits> Rows => _rows.OfType<GgmlTypeTraits>();

    /// <summary>A table like this one with <paramref name="type"/>'s row replaced by <paramref name="change"/>(row).</summary>
    public GgmlTypeTable With(GgmlType type, Func<GgmlTypeTraits, GgmlTypeTraits> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var row = change(this[type]);
        if (row.Type != type)
        {
            throw new ArgumentException($"the replacement for {type}'s row describes {row.Type}", nameof(change));
        }

        var rows = (GgmlTypeTraits?[])_rows.Clone();
        rows[(int)type] = row;
        return new GgmlTypeTable(rows, Kernels);
    }

    private static GgmlTypeTable Build(VariantKernels variant)
    {
        var rows = new GgmlTypeTraits?[(int)Enum.GetValues<GgmlType>().Max() + 1];
        foreach (var row in GgmlTypeRows.All(variant))
        {
            rows[(int)row.Type] = row;
        }

        return new GgmlTypeTable(rows, variant);
    }
}
