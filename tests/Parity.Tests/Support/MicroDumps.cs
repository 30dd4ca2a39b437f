using Parity.Harness.Synthetic;

namespace Parity.Tests.Support;

/// <summary>A real pair of dumps to edit, rename or re-encode: llama.cpp and the engine on micro, the same four token ids.</summary>
internal static class MicroDumps
{
    public static (string Model, string Reference, string Engine) Make(TempDirectory temp, int steps)
    {
        ArgumentNullException.ThrowIfNull(temp);
        var model = Models.Synthetic(SyntheticPresets.Micro);
        string[] common = ["--model", model, "--tokens", "1,17,42,99", "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        var (reference, engine) = (temp.File("llama.cpp"), temp.File("engine"));
        var (rc, _, re) = ParityCli.Run(["dump", "--side", "llama.cpp", .. common, "--out", reference]);
        Assert.That(rc, Is.Zero, re);
        var (ec, _, ee) = ParityCli.Run(["dump", "--side", "engine", .. common, "--out", engine]);
        Assert.That(ec, Is.Zero, ee);
        return (model, reference, engine);
    }
}
