namespace Parity.Dump;

/// <summary>The mapping between ggml types, dump dtypes and safetensors dtype strings.</summary>
public static class DumpDTypes
{
    /// <summary>The enum's member names are the safetensors dtype names, spelled exactly (case-sensitive).</summary>
    private static readonly Dictionary<string, DumpDType> ByName =
        Enum.GetValues<DumpDType>().ToDictionary(d => d.ToString(), StringComparer.Ordinal);

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(DumpDType dtype) => dtype switch
    {
        DumpDType.F64 or DumpDType.I64 => 8,
        DumpDType.F32 or DumpDType.I32 => 4,
        DumpDType.F16 or DumpDType.BF16 or DumpDType.I16 => 2,
        DumpDType.I8 or DumpDType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a dump dtype"),
    };

    /// <summary>
    /// The dtype a tensor of ggml type <paramref name="ggmlType"/> (ggml's <c>ggml_type_name</c> spelling, any case)
    /// is stored as. ggml's plain element types keep their meaning; every other type (the quantized block formats)
    /// is stored as raw bytes, <see cref="DumpDType.U8"/>.
    /// </summary>
    public static DumpDType FromGgmlType(string ggmlType)
    {
        ArgumentNullException.ThrowIfNull(ggmlType);
        // ggml's float and integer type names are the safetensors dtype names, upper-cased; everything else is raw bytes.
        return ByName.TryGetValue(ggmlType.ToUpperInvariant(), out var dtype) ? dtype : DumpDType.U8;
    }

    /// <summary>True when <paramref name="ggmlType"/> is stored as raw bytes (shape <c>[byteLength]</c>) rather than as elements.</summary>
    public static bool IsRawBytes(string ggmlType) => FromGgmlType(ggmlType) == DumpDType.U8;

    /// <summary>The safetensors dtype string (<c>"F32"</c>, <c>"BF16"</c>, ...).</summary>
    public static string ToSafetensorsName(DumpDType dtype) =>
        Enum.IsDefined(dtype) ? dtype.ToString() : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a dump dtype");

    /// <summary>
    /// Parses a safetensors dtype string, exactly as spelled (case-sensitive, as safetensors is). Unlike
    /// <see cref="Enum.TryParse{TEnum}(string, out TEnum)"/> this refuses numbers such as <c>"1"</c>.
    /// </summary>
    public static bool TryParseSafetensorsName(string? name, out DumpDType dtype)
    {
        DumpDType? parsed = name is not null && ByName.TryGetValue(name, out var found) ? found : null;
        dtype = parsed.GetValueOrDefault();
        return parsed.HasValue;
    }
}
