namespace Parity.Dump;

/// <summary>
/// A dump that cannot be read. The message always starts with the path of the offending file, then names the
/// field (and byte offset where there is one), what was expected and what was found, e.g.
/// <c>RUN/step-0000/tensors.safetensors: header length at byte 0: 999999 exceeds the 1226 bytes after it (file size 1234)</c>.
/// </summary>
public sealed class DumpFormatException : Exception
{
    public DumpFormatException(string path, string field, string detail, long? offset = null)
        : base(Format(path, field, detail, offset))
    {
        FilePath = path;
        Field = field;
        Detail = detail;
        Offset = offset;
    }

    public DumpFormatException(string path, string field, string detail, Exception innerException)
        : base(Format(path, field, detail, null), innerException)
    {
        FilePath = path;
        Field = field;
        Detail = detail;
    }

    public DumpFormatException()
        : this("<unknown>", "", "not a valid parity dump")
    {
    }

    public DumpFormatException(string message)
        : base(message)
    {
        FilePath = "<unknown>";
        Field = "";
        Detail = message;
    }

    public DumpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = "<unknown>";
        Field = "";
        Detail = message;
    }

    /// <summary>The file (or directory) that is wrong, as the caller spelled the dump's path.</summary>
    public string FilePath { get; }

    /// <summary>What was being read, e.g. <c>header length</c> or <c>tensor 'Qcur-0#1' shape</c>; empty for the whole file.</summary>
    public string Field { get; }

    /// <summary>What was expected and what was found.</summary>
    public string Detail { get; }

    /// <summary>Byte offset in the file where the field starts, when the field is binary.</summary>
    public long? Offset { get; }

    private static string Format(string path, string field, string detail, long? offset)
    {
        var where = (field.Length > 0, offset) switch
        {
            (true, null) => field,
            (true, { } at) => $"{field} at byte {at}",
            (false, { } at) => $"byte {at}",
            (false, null) => "",
        };
        return where.Length > 0 ? $"{path}: {where}: {detail}" : $"{path}: {detail}";
    }
}
