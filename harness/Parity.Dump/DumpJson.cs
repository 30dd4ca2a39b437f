using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parity.Dump;

/// <summary>
/// How manifests are written (camelCase, indented, through the serializer) and read (checked for format and version,
/// then bound by <see cref="ManifestBinder"/>, strict about required and non-null members).
/// </summary>
internal static class DumpJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,

        // Tensor names like "cache_k_l0 (view) (permuted)" or "a+b" stay readable; the files are never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,

        // A manifest missing a required member or holding null where the format says array/object is corrupt,
        // not something to paper over with defaults.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        // Source-generated metadata: no reflection on first use, which is most of a short diff's start-up.
        TypeInfoResolver = DumpJsonContext.Default,
        Converters =
        {
            new JsonStringEnumConverter<DumpDType>(namingPolicy: null, allowIntegerValues: false),
            new CompactListConverter<int>(),
            new CompactListConverter<long>(),
        },
    };

    public static void Write<T>(string path, T value)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, Options);
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        file.Write(bytes);
        file.WriteByte((byte)'\n');
    }

    /// <summary>
    /// Reads a manifest: the file must exist, be JSON, say <c>"format": "parity-dump"</c> and a version this reader
    /// knows (checked before binding, so a future version fails on its version, not on a member it renamed), and bind
    /// (<see cref="ManifestBinder"/>).
    /// </summary>
    public static T Read<T>(string path, string what, Func<JsonElement, T> bind)
        where T : class
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DumpFormatException(path, "", $"missing (expected the {what})", e);
        }

        // JsonDocument checks UTF-8 only when a string is read, which would surface as a bare InvalidOperationException.
        if (System.Text.Unicode.Utf8.IsValid(bytes) is false)
        {
            throw new DumpFormatException(path, "JSON", "not valid UTF-8 text");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new DumpFormatException(path, "JSON", $"not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            CheckFormatAndVersion(path, document.RootElement);
            try
            {
                return bind(document.RootElement);
            }
            catch (ManifestBindingException e)
            {
                throw new DumpFormatException(path, "JSON " + e.JsonPath, $"not a valid {what}: {e.Detail}", e);
            }
        }
    }

    private static void CheckFormatAndVersion(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new DumpFormatException(path, "JSON $", $"expected an object, found {root.ValueKind}");
        }

        if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != DumpFormat.Name)
        {
            var found = root.TryGetProperty("format", out format) ? format.GetRawText() : "nothing";
            throw new DumpFormatException(path, "format", $"expected \"{DumpFormat.Name}\", found {found}");
        }

        if (!root.TryGetProperty("formatVersion", out var version) || version.ValueKind != JsonValueKind.Number)
        {
            var found = root.TryGetProperty("formatVersion", out version) ? version.GetRawText() : "nothing";
            throw new DumpFormatException(path, "formatVersion", $"expected the number {DumpFormat.Version}, found {found}");
        }

        if (!version.TryGetInt32(out var v) || v != DumpFormat.Version)
        {
            throw new DumpFormatException(path, "formatVersion", $"version {version.GetRawText()} is not supported: this reader reads version {DumpFormat.Version} only (was the dump written by a newer Parity?)");
        }
    }
}
