using System.Globalization;
using Parity.Dump;

namespace Parity.Harness.Graph;

/// <summary>
/// A tensor named in a descriptor: a stem and an occurrence (<c>Qcur#2</c>), in the dump's key syntax without the
/// layer suffix. Two references are not tensors but the residual stream: <see cref="LayerInput"/> (what a layer reads)
/// and <see cref="LastLayerOutput"/> (what the output head reads).
/// </summary>
internal readonly record struct GraphReference(string Stem, int Occurrence)
{
    public const string LayerInput = "$layer_input";
    public const string LastLayerOutput = "$last_layer_output";
    public const string LayerPlaceholder = "{layer}";

    public static bool TryParse(string? text, out GraphReference reference)
    {
        reference = default;
        if (string.IsNullOrEmpty(text) || text.StartsWith('$'))
        {
            return false;
        }

        var hash = text.IndexOf(DumpFormat.OccurrenceSeparator);
        if (hash < 0)
        {
            reference = new GraphReference(text, 0);
            return DumpTensorNames.CheckName(text) is null;
        }

        var stem = text[..hash];
        if (!int.TryParse(text.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var occurrence) || DumpTensorNames.CheckName(stem) is not null)
        {
            return false;
        }

        reference = new GraphReference(stem, occurrence);
        return true;
    }

    public static GraphReference Parse(string text) =>
        TryParse(text, out var r) ? r : throw new FormatException($"'{text}' is not a tensor reference (stem or stem#occurrence)");

    /// <summary>The producer's name of a per-layer tensor: <c>attn_norm-3</c>.</summary>
    public static string LayerName(string stem, int layer) => stem + "-" + layer.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>attn_norm-3</c> → (<c>attn_norm</c>, 3); <c>result_norm</c> → (<c>result_norm</c>, null).</summary>
    public static (string Stem, int? Layer) SplitName(string name)
    {
        var layer = DumpTensorNames.ParseLayer(name);
        return layer is null ? (name, null) : (name[..name.LastIndexOf('-')], layer);
    }

    /// <summary><c>Qcur-0#2</c> → (<c>Qcur-0</c>, 2).</summary>
    public static (string Name, int Occurrence) SplitKey(string key)
    {
        var hash = key.LastIndexOf(DumpFormat.OccurrenceSeparator);
        return hash > 0 && int.TryParse(key.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var occurrence)
            ? (key[..hash], occurrence)
            : (key, 0);
    }
}
