using System.Globalization;
using System.Text;

namespace Parity.Dump;

/// <summary>
/// The deterministic rules that turn ggml tensor names into dump keys, layers and shapes (docs/dump-format.md,
/// "Keys"). Both producers use these, so a llama.cpp dump and an engine dump align by key.
/// </summary>
public static class DumpTensorNames
{
    /// <summary>
    /// The key of the <paramref name="occurrence"/>-th (0-based) tensor named <paramref name="name"/> in a step:
    /// the name itself for the first, <c>name#k</c> for later ones (<c>Qcur-0</c>, <c>Qcur-0#1</c>, <c>Qcur-0#2</c>).
    /// </summary>
    public static string KeyFor(string name, int occurrence)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegative(occurrence);
        return occurrence == 0 ? name : name + DumpFormat.OccurrenceSeparator + occurrence.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The layer index llama.cpp appends to per-layer names (<c>cb(cur, name, il)</c> makes <c>name-il</c>, e.g. <c>attn_norm-0</c>):
    /// the number after a trailing <c>-</c> followed only by ASCII digits; null for names without one
    /// (<c>inp_embd</c>, <c>node_65</c>, <c>cache_k_l0 (view)</c>).
    /// </summary>
    public static int? ParseLayer(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var dash = name.LastIndexOf('-');
        if (dash < 0 || dash == name.Length - 1)
        {
            return null;
        }

        var digits = name.AsSpan(dash + 1);
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return null;
            }
        }

        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var layer) ? layer : null;
    }

    /// <summary>
    /// The row-major (safetensors, numpy) shape of a tensor with ggml dimensions <paramref name="ne"/> (ne[0] fastest):
    /// trailing dimensions of size 1 are dropped (keeping at least one), then the order is reversed.
    /// ggml <c>[16, 4, 26, 1]</c> becomes <c>[26, 4, 16]</c>; <c>[1, 1, 1, 1]</c> becomes <c>[1]</c>.
    /// </summary>
    /// <remarks>
    /// ggml's own <c>ggml_n_dims</c> drops trailing dimensions that are not &gt; 1; we drop only those equal to 1, so an
    /// empty tensor (<c>[4, 0, 1, 1]</c> → <c>[0, 4]</c>) keeps its element count of 0. For non-empty tensors the two agree.
    /// </remarks>
    public static long[] ShapeFromNe(ReadOnlySpan<long> ne)
    {
        if (ne.Length is 0 or > DumpFormat.MaxDimensions)
        {
            throw new ArgumentException($"1 to {DumpFormat.MaxDimensions} ggml dimensions expected, got {ne.Length}", nameof(ne));
        }

        var nDims = ne.Length;
        while (nDims > 1 && ne[nDims - 1] == 1)
        {
            nDims--;
        }

        var shape = new long[nDims];
        for (var i = 0; i < nDims; i++)
        {
            shape[i] = ne[nDims - 1 - i];
        }

        return shape;
    }

    /// <summary>Null when <paramref name="name"/> can be a dump tensor name, else why not.</summary>
    public static string? CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a tensor name must not be empty (ggml names unnamed nodes node_N; producers do the same)";
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > DumpFormat.MaxNameBytes)
        {
            return $"tensor name '{name}' has {bytes} UTF-8 bytes, more than ggml's limit of {DumpFormat.MaxNameBytes}";
        }

        if (name.Contains(DumpFormat.OccurrenceSeparator, StringComparison.Ordinal))
        {
            return $"tensor name '{name}' contains '{DumpFormat.OccurrenceSeparator}', which keys reserve for occurrence numbers";
        }

        return name == SafetensorsHeader.MetadataKey
            ? $"tensor name '{name}' is reserved by safetensors for the header metadata"
            : null;
    }
}
