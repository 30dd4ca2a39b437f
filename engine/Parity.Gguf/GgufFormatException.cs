namespace Parity.Gguf;

/// <summary>
/// A GGUF file that cannot be read. The message always names the file, the byte offset, the field being
/// read and what was expected there, so a user can open the file in a hex editor and see the problem.
/// </summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string path, long offset, string field, string expected, string? found = null)
        : base(Format(path, offset, field, expected, found))
    {
        FilePath = path;
        Offset = offset;
        Field = field;
        Expected = expected;
        Found = found;
    }

    public GgufFormatException()
        : this("<unknown>", 0, "<unknown>", "a valid GGUF file")
    {
    }

    public GgufFormatException(string message)
        : base(message)
    {
        FilePath = "<unknown>";
        Field = "<unknown>";
        Expected = message;
    }

    public GgufFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = "<unknown>";
        Field = "<unknown>";
        Expected = message;
    }

    public string FilePath { get; }

    /// <summary>Byte offset in the file where the offending field starts.</summary>
    public long Offset { get; }

    /// <summary>The field being read, e.g. <c>metadata[3] 'general.name' value</c> or <c>tensor 'output.weight' offset</c>.</summary>
    public string Field { get; }

    public string Expected { get; }

    public string? Found { get; }

    private static string Format(string path, long offset, string field, string expected, string? found) =>
        found is null
            ? $"{path}: invalid GGUF at byte {offset} ({field}): expected {expected}"
            : $"{path}: invalid GGUF at byte {offset} ({field}): expected {expected}, found {found}";
}
