using System.Globalization;
using Parity.Harness.Suites;

namespace Parity.Cli.Rendering;

/// <summary>
/// Plain-text drift reports, the same for <c>parity regen</c> (new goldens against old) and <c>parity drift</c> (one
/// llama.cpp build against another): the outcome per case, the first moving op, the moved tensors and the layer table.
/// </summary>
public static class DriftRenderer
{
    private const int MovedShown = 12;

    /// <summary>"NAME: identical (N tensors bit for bit)" or "NAME: M of N tensors moved; first moved op ...", then the moved tensors.</summary>
    public static void Case(TextWriter w, CaseDrift drift, string indent = "  ")
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(drift);
        var tokens = drift.TokenChange is { } change ? "; tokens changed: " + change : string.Empty;
        if (drift.FirstMoved is not { } first)
        {
            w.WriteLine($"{indent}{drift.Name}: identical ({drift.Compared} tensors bit for bit){tokens}");
            return;
        }

        w.WriteLine($"{indent}{drift.Name}: {drift.Moved.Count} of {drift.Compared} tensors moved; first moved op: {Describe(first)}{tokens}");
        foreach (var d in drift.Moved.Take(MovedShown))
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{indent}    step {d.Step} {d.Key,-24} {d.Op,-10} {d.Status,-13} nmse {d.Nmse:G3}  max abs {d.MaxAbsError:G3}"));
        }

        if (drift.Moved.Count > MovedShown)
        {
            w.WriteLine($"{indent}    ... and {drift.Moved.Count - MovedShown} more");
        }
    }

    /// <summary>One row per layer: tensors compared, moved, the first moved there, the largest distance.</summary>
    public static void Layers(TextWriter w, CaseDrift drift)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(drift);
        w.WriteLine($"  {"layer",-6} {"compared",8} {"moved",6}  {"max abs",-10} first moved");
        foreach (var l in drift.Layers)
        {
            var layer = l.Layer?.ToString(CultureInfo.InvariantCulture) ?? "-";
            var first = l.FirstMoved is { } f ? Describe(f) : "-";
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {layer,-6} {l.Compared,8} {l.Moved,6}  {l.MaxAbsError,-10:G3} {first}"));
        }
    }

    /// <summary>"step 0 kq-0 (MUL_MAT, layer 0)".</summary>
    public static string Describe(DriftEntry d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var layer = d.Layer is { } l ? $", layer {l}" : string.Empty;
        return $"step {d.Step} {d.Key} ({d.Op}{layer})";
    }
}
