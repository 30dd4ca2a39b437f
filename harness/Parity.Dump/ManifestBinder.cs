using System.Text.Json;

namespace Parity.Dump;

/// <summary>
/// Binds run and step manifests from a parsed <see cref="JsonDocument"/>, as strictly as the serializer's options
/// would (required members present, no null where the format says a value, integers that fit), naming the JSON path of
/// the first offence.
/// </summary>
/// <remarks>
/// Written by hand instead of <c>JsonSerializer.Deserialize</c> for start-up time: the serializer's metadata for these
/// records (converters and property accessors instantiated over int, long, bool and the dtype enum) is JIT-compiled on
/// first use, which cost 110-160 ms of a cold <c>parity diff</c> before its first tensor; walking the DOM uses
/// only framework code that ships precompiled (measured: 22-28 ms cold for the same run and step manifests). Writing
/// still goes through the serializer (<see cref="DumpJson.Write{T}"/>).
/// </remarks>
internal static class ManifestBinder
{
    public static RunManifest BindRun(JsonElement root)
    {
        var o = new Node(root, "$");
        return new RunManifest
        {
            Format = o.String("format"),
            FormatVersion = o.Int32("formatVersion"),
            Producer = Producer(o.Object("producer")),
            Model = Model(o.Object("model")),
            Prompt = Prompt(o.Object("prompt")),
            Options = Options(o.Object("options")),
            CreatedUtc = o.Timestamp("createdUtc"),
            Steps = o.Strings("steps"),
            GeneratedTokens = o.Int32s("generatedTokens"),
            Notes = o.OptionalStringMap("notes"),
        };
    }

    public static StepManifest BindStep(JsonElement root)
    {
        var o = new Node(root, "$");
        return new StepManifest
        {
            Format = o.String("format"),
            FormatVersion = o.Int32("formatVersion"),
            Producer = Producer(o.Object("producer")),
            Model = Model(o.Object("model")),
            Prompt = Prompt(o.Object("prompt")),
            Step = o.Int32("step"),
            Positions = o.Int32s("positions"),
            Tokens = o.Int32s("tokens"),
            GeneratedTokens = o.Int32s("generatedTokens"),
            Options = Options(o.Object("options")),
            CreatedUtc = o.Timestamp("createdUtc"),
            TensorsFile = o.OptionalString("tensorsFile", nullable: false) ?? DumpFormat.TensorsFileName,
            Tensors = o.Array("tensors", Tensor),
        };
    }

    private static DumpProducer Producer(Node o) => new()
    {
        Name = o.String("name"),
        Version = o.String("version"),
        GgmlVersion = o.OptionalString("ggmlVersion"),
        LibraryVariant = o.OptionalString("libraryVariant"),
        LibraryPath = o.OptionalString("libraryPath"),
        GgmlCommit = o.OptionalString("ggmlCommit"),
        CompileFlags = o.OptionalString("compileFlags"),
        HeadersSha256 = o.OptionalString("headersSha256"),
        Layout = o.OptionalString("layout"),
    };

    private static DumpModelInfo Model(Node o) => new()
    {
        Path = o.String("path"),
        Bytes = o.Int64("bytes"),
        Sha256 = o.String("sha256"),
        Architecture = o.String("architecture"),
        Hyperparameters = o.NullableObject("hyperparameters") is { } h ? Hyperparameters(h) : null,
        FileType = o.OptionalString("fileType"),
        WeightTypes = o.Int32Map("weightTypes"),
    };

    private static DumpHyperparameters Hyperparameters(Node o) => new()
    {
        NEmbd = o.Int32("nEmbd"),
        NLayer = o.Int32("nLayer"),
        NHead = o.Int32("nHead"),
        NHeadKv = o.Int32("nHeadKv"),
        NFf = o.Int32("nFf"),
        NVocab = o.Int32("nVocab"),
        NCtxTrain = o.Int32("nCtxTrain"),
        RopeFreqBase = o.Single("ropeFreqBase"),
        RopeDimensionCount = o.Int32("ropeDimensionCount"),
        RmsEps = o.Single("rmsEps"),
    };

    private static DumpPrompt Prompt(Node o) => new() { Text = o.OptionalString("text"), Tokens = o.Int32s("tokens") };

    private static DumpOptions Options(Node o) => new()
    {
        Threads = o.Int32("threads"),
        FlashAttention = o.Boolean("flashAttention"),
        TypeK = o.String("typeK"),
        TypeV = o.String("typeV"),
        Repack = o.Boolean("repack"),
        NCtx = o.Int32("nCtx"),
        NBatch = o.Int32("nBatch"),
        Filter = o.OptionalString("filter"),
        OutputAll = o.Boolean("outputAll"),
    };

    private static DumpTensorEntry Tensor(Node o) => new()
    {
        Key = o.String("key"),
        Name = o.String("name"),
        Op = o.String("op"),
        Occurrence = o.Int32("occurrence"),
        Layer = o.NullableInt32("layer"),
        DType = o.DType("dtype"),
        GgmlType = o.String("ggmlType"),
        Ne = o.Int64s("ne"),
        Shape = o.Int64s("shape"),
        MadeContiguous = o.Boolean("madeContiguous"),
        ByteOffset = o.Int64("byteOffset"),
        ByteLength = o.Int64("byteLength"),
    };

    private delegate bool TryRead<T>(JsonElement item, out T value);

    /// <summary>
    /// A JSON object being bound. Its path from the root is kept as the parent's path and an array index and spelled out
    /// only for a message: a step manifest has ~10,000 members, and building each one's path cost more than binding it.
    /// </summary>
    private readonly struct Node
    {
        private readonly JsonElement _element;
        private readonly string _base;
        private readonly int _index;

        public Node(JsonElement element, string path, int index = -1)
        {
            (_element, _base, _index) = (element, path, index);
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new ManifestBindingException(Path, $"expected an object, found {Describe(element)}");
            }
        }

        private string Path => _index < 0 ? _base : $"{_base}[{_index}]";

        public Node Object(string name) => new(Required(name), Member(name));

        public Node? NullableObject(string name)
        {
            var value = Required(name, allowNull: true);
            return value.ValueKind == JsonValueKind.Null ? null : new Node(value, Member(name));
        }

        public string String(string name) => AsString(Required(name), Member(name));

        /// <summary>A member that may be absent (and, when <paramref name="nullable"/>, null).</summary>
        public string? OptionalString(string name, bool nullable = true)
        {
            if (!_element.TryGetProperty(name, out var value) || (nullable && value.ValueKind == JsonValueKind.Null))
            {
                return null;
            }

            return AsString(value, Member(name));
        }

        public int Int32(string name) => AsInt32(Required(name), this, name);

        public int? NullableInt32(string name)
        {
            var value = Required(name, allowNull: true);
            return value.ValueKind == JsonValueKind.Null ? null : AsInt32(value, this, name);
        }

        public long Int64(string name) => AsInt64(Required(name), this, name);

        public float Single(string name)
        {
            var value = Required(name);
            return value.ValueKind == JsonValueKind.Number && value.TryGetSingle(out var f)
                ? f
                : throw new ManifestBindingException(Member(name), $"expected a number, found {Describe(value)}");
        }

        public bool Boolean(string name)
        {
            var value = Required(name);
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new ManifestBindingException(Member(name), $"expected true or false, found {Describe(value)}"),
            };
        }

        public DateTimeOffset Timestamp(string name)
        {
            var value = Required(name);
            return value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var t)
                ? t
                : throw new ManifestBindingException(Member(name), $"expected an ISO 8601 timestamp, found {Describe(value)}");
        }

        /// <summary>A dtype by its exact name ("F32", "F16", ...); numbers and numeric strings are refused.</summary>
        public DumpDType DType(string name)
        {
            var value = Required(name);
            if (value.ValueKind == JsonValueKind.String)
            {
                var text = value.GetString()!;
                if (text.Length > 0 && char.IsLetter(text[0]) && Enum.TryParse<DumpDType>(text, ignoreCase: false, out var dtype) && Enum.IsDefined(dtype))
                {
                    return dtype;
                }
            }

            throw new ManifestBindingException(Member(name), $"{Describe(value)} is not a dtype (expected one of {string.Join(", ", Enum.GetNames<DumpDType>())})");
        }

        public List<int> Int32s(string name) => Values(name, "a 32-bit integer", static (JsonElement e, out int v) =>
        {
            v = 0;
            return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out v);
        });

        public List<long> Int64s(string name) => Values(name, "a 64-bit integer", static (JsonElement e, out long v) =>
        {
            v = 0;
            return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out v);
        });

        public List<string> Strings(string name) => Values(name, "a string", static (JsonElement e, out string v) =>
        {
            v = e.ValueKind == JsonValueKind.String ? e.GetString()! : "";
            return e.ValueKind == JsonValueKind.String;
        });

        public List<T> Array<T>(string name, Func<Node, T> bind)
        {
            var items = Items(name);
            var path = Member(name);
            var result = new List<T>(items.GetArrayLength());
            foreach (var item in items.EnumerateArray())
            {
                result.Add(bind(new Node(item, path, result.Count)));
            }

            return result;
        }

        public Dictionary<string, int> Int32Map(string name)
        {
            var map = Object(name);
            var result = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var member in map._element.EnumerateObject())
            {
                result[member.Name] = AsInt32(member.Value, map, member.Name);
            }

            return result;
        }

        public Dictionary<string, string>? OptionalStringMap(string name)
        {
            if (!_element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            var map = new Node(value, Member(name));
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var member in map._element.EnumerateObject())
            {
                result[member.Name] = AsString(member.Value, map.Member(member.Name));
            }

            return result;
        }

        private string Member(string name) => $"{Path}.{name}";

        /// <summary>An array member of scalars, each read by <paramref name="read"/> or reported as not <paramref name="what"/>.</summary>
        private List<T> Values<T>(string name, string what, TryRead<T> read)
        {
            var items = Items(name);
            var result = new List<T>(items.GetArrayLength());
            foreach (var item in items.EnumerateArray())
            {
                result.Add(read(item, out var value) ? value : throw NotAn(what, name, result.Count, item));
            }

            return result;
        }

        private JsonElement Items(string name)
        {
            var value = Required(name);
            return value.ValueKind == JsonValueKind.Array
                ? value
                : throw new ManifestBindingException(Member(name), $"expected an array, found {Describe(value)}");
        }

        private ManifestBindingException NotAn(string what, string name, int index, JsonElement found) =>
            new($"{Member(name)}[{index}]", $"expected {what}, found {Describe(found)}");

        private JsonElement Required(string name, bool allowNull = false)
        {
            if (!_element.TryGetProperty(name, out var value))
            {
                throw new ManifestBindingException(Path, $"the required member '{name}' is missing");
            }

            if (!allowNull && value.ValueKind == JsonValueKind.Null)
            {
                throw new ManifestBindingException(Member(name), "is null, expected a value");
            }

            return value;
        }

        private static string AsString(JsonElement value, string path) =>
            value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw new ManifestBindingException(path, $"expected a string, found {Describe(value)}");

        private static int AsInt32(JsonElement value, Node owner, string name) =>
            value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var v)
                ? v
                : throw new ManifestBindingException(owner.Member(name), $"expected a 32-bit integer, found {Describe(value)}");

        private static long AsInt64(JsonElement value, Node owner, string name) =>
            value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var v)
                ? v
                : throw new ManifestBindingException(owner.Member(name), $"expected a 64-bit integer, found {Describe(value)}");

        private static string Describe(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.Null => "null",
            _ => value.GetRawText(),
        };
    }
}

/// <summary>A manifest member that does not bind: its JSON path and what was expected there.</summary>
internal sealed class ManifestBindingException(string jsonPath, string detail) : Exception($"{jsonPath}: {detail}")
{
    public string JsonPath { get; } = jsonPath;

    public string Detail { get; } = detail;
}
