namespace Parity.Gguf;

/// <summary>
/// Block geometry and name of a ggml type: how many elements one block holds and how many bytes it takes. The engine's
/// type table (<c>GgmlTypeTraits.Layout</c>) reads these rather than keeping its own.
/// The numbers are facts of ggml's block structs (<c>block_q4_0</c> is 2 + 16 bytes for 32 weights, ...).
/// </summary>
/// <param name="GgmlName">The name ggml prints for the type (<c>ggml_type_name</c>): lower case but for the K of the
/// K-quants, e.g. <c>q4_K</c>, <c>f32</c>.</param>
public readonly record struct GgmlTypeInfo(GgmlType Type, int BlockSize, int TypeSize, bool IsQuantized, string GgmlName)
{
    private static readonly Dictionary<GgmlType, GgmlTypeInfo> Table = Build();

    /// <summary>Bytes of one row of <paramref name="elements"/> elements; the caller has checked divisibility.</summary>
    public long RowBytes(long elements) => elements / BlockSize * TypeSize;

    public static bool TryGet(GgmlType type, out GgmlTypeInfo info) => Table.TryGetValue(type, out info);

    public static GgmlTypeInfo Get(GgmlType type) =>
        Table.TryGetValue(type, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(type), type, "not a known ggml type");

    private static Dictionary<GgmlType, GgmlTypeInfo> Build()
    {
        const int QK = 32;   // elements per block of the legacy quant types
        const int QKK = 256; // elements per super-block of the K-quants and i-quants
        var rows = new (GgmlType Type, string Name, int Block, int Size, bool Quantized)[]
        {
            (GgmlType.F32, "f32", 1, 4, false),
            (GgmlType.F16, "f16", 1, 2, false),
            (GgmlType.BF16, "bf16", 1, 2, false),
            (GgmlType.F64, "f64", 1, 8, false),
            (GgmlType.I8, "i8", 1, 1, false),
            (GgmlType.I16, "i16", 1, 2, false),
            (GgmlType.I32, "i32", 1, 4, false),
            (GgmlType.I64, "i64", 1, 8, false),
            (GgmlType.Q4_0, "q4_0", QK, 2 + QK / 2, true),
            (GgmlType.Q4_1, "q4_1", QK, 4 + QK / 2, true),
            (GgmlType.Q5_0, "q5_0", QK, 2 + 4 + QK / 2, true),
            (GgmlType.Q5_1, "q5_1", QK, 4 + 4 + QK / 2, true),
            (GgmlType.Q8_0, "q8_0", QK, 2 + QK, true),
            (GgmlType.Q8_1, "q8_1", QK, 4 + QK, true),
            (GgmlType.Q2_K, "q2_K", QKK, QKK / 16 + QKK / 4 + 4, true),
            (GgmlType.Q3_K, "q3_K", QKK, QKK / 8 + QKK / 4 + 12 + 2, true),
            (GgmlType.Q4_K, "q4_K", QKK, 4 + 12 + QKK / 2, true),
            (GgmlType.Q5_K, "q5_K", QKK, 4 + 12 + QKK / 8 + QKK / 2, true),
            (GgmlType.Q6_K, "q6_K", QKK, QKK / 2 + QKK / 4 + QKK / 16 + 2, true),
            (GgmlType.Q8_K, "q8_K", QKK, 4 + QKK + QKK / 16 * 2, true),
            (GgmlType.IQ2_XXS, "iq2_xxs", QKK, 2 + QKK / 4, true),
            (GgmlType.IQ2_XS, "iq2_xs", QKK, 2 + QKK / 4 + QKK / 32, true),
            (GgmlType.IQ3_XXS, "iq3_xxs", QKK, 2 + 3 * QKK / 8, true),
            (GgmlType.IQ1_S, "iq1_s", QKK, 2 + QKK / 8 + QKK / 16, true),
            (GgmlType.IQ4_NL, "iq4_nl", QK, 2 + QK / 2, true),
            (GgmlType.IQ3_S, "iq3_s", QKK, 2 + QKK / 4 + QKK / 32 + QKK / 8 + QKK / 64, true),
            (GgmlType.IQ2_S, "iq2_s", QKK, 2 + QKK / 4 + QKK / 16, true),
            (GgmlType.IQ4_XS, "iq4_xs", QKK, 2 + 2 + QKK / 64 + QKK / 2, true),
            (GgmlType.IQ1_M, "iq1_m", QKK, QKK / 8 + QKK / 16 + QKK / 32, true),
            (GgmlType.TQ1_0, "tq1_0", QKK, (QKK - 4 * QKK / 64) / 5 + QKK / 64 + 2, true),
            (GgmlType.TQ2_0, "tq2_0", QKK, 2 + QKK / 4, true),
            (GgmlType.MXFP4, "mxfp4", QK, 1 + QK / 2, true),
        };
        return rows.ToDictionary(r => r.Type, r => new GgmlTypeInfo(r.Type, r.Block, r.Size, r.Quantized, r.Name));
    }
}
