using System.Globalization;

namespace Parity.Dump;

/// <summary>
/// Constants of the parity-dump format (docs/dump-format.md). A reader refuses any <see cref="Version"/> it does
/// not know: a version bump means the meaning of something it reads has changed.
/// </summary>
public static class DumpFormat
{
    /// <summary>The <c>format</c> member of every manifest and of the safetensors <c>__metadata__</c>.</summary>
    public const string Name = "parity-dump";

    /// <summary>The only format version this library reads and writes.</summary>
    public const int Version = 1;

    public const string RunManifestFileName = "run.json";

    public const string StepManifestFileName = "manifest.json";

    public const string TensorsFileName = "tensors.safetensors";

    /// <summary>
    /// ggml's <c>GGML_MAX_NAME</c> is 64 including the terminating NUL, so a ggml tensor name has at most 63 bytes.
    /// </summary>
    public const int MaxNameBytes = 63;

    /// <summary>ggml tensors have four dimensions (<c>GGML_MAX_DIMS</c>).</summary>
    public const int MaxDimensions = 4;

    /// <summary>
    /// The safetensors reference implementation refuses headers over 100 MB; so do we, and so the JSON parser
    /// never sees a hostile length. A real step header (a few thousand tensors) is a few hundred KB.
    /// </summary>
    public const long MaxSafetensorsHeaderBytes = 100_000_000;

    /// <summary>Separates a name from its occurrence number in a key (<c>Qcur-0#2</c>); not allowed in names.</summary>
    public const char OccurrenceSeparator = '#';

    /// <summary>The directory name of step <paramref name="step"/>: <c>step-0000</c>, <c>step-0001</c>, ...</summary>
    public static string StepDirectoryName(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return "step-" + step.ToString("D4", CultureInfo.InvariantCulture);
    }

    /// <summary>The step number of a directory named by <see cref="StepDirectoryName"/>, or null for any other name.</summary>
    public static int? ParseStepDirectoryName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        const string prefix = "step-";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || name.Length < prefix.Length + 4)
        {
            return null;
        }

        var digits = name.AsSpan(prefix.Length);
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return null;
            }
        }

        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var step) && StepDirectoryName(step) == name
            ? step
            : null;
    }
}
