using System.Text.RegularExpressions;
using Parity.Harness.Synthetic;

namespace Parity.Tests.Support;

/// <summary>A real pair of dumps to edit, rename or re-encode: llama.cpp and the engine on micro, the same four token ids.</summary>
internal static partial class MicroDumps
{
    /// <summary>A llama.cpp name as another producer would spell it: <c>attn_norm-1</c> → <c>model.layers.1.attn_norm</c>, <c>result_output</c> → <c>model.result_output</c>.</summary>
    public static string ForeignName(string name) =>
        LayerName().Match(name) is { Success: true } m ? $"model.layers.{m.Groups["layer"].Value}.{m.Groups["stem"].Value}" : "model." + name;

    /// <param name="options">More options for both sides (<c>--flash-attn off</c> for the plain graph's kq and softmax).</param>
    public static (string Model, string Reference, string Engine) Make(TempDirectory temp, int steps, params string[] options)
    {
        ArgumentNullException.ThrowIfNull(temp);
        var model = Models.Synthetic(SyntheticPresets.Micro);
        string[] common = ["--model", model, "--tokens", "1,17,42,99", "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), .. options];
        var (reference, engine) = (temp.File("llama.cpp"), temp.File("engine"));
        var (rc, _, re) = ParityCli.Run(["dump", "--side", "llama.cpp", .. common, "--out", reference]);
        Assert.That(rc, Is.Zero, re);
        var (ec, _, ee) = ParityCli.Run(["dump", "--side", "engine", .. common, "--out", engine]);
        Assert.That(ec, Is.Zero, ee);
        return (model, reference, engine);
    }

    [GeneratedRegex(@"^(?<stem>.+)-(?<layer>\d+)$")]
    private static partial Regex LayerName();
}
