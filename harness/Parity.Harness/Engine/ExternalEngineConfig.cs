using System.Text.Json;

namespace Parity.Harness.Engine;

/// <summary>
/// How to run an engine in another process: its command (the request file's path is appended), its name map, how long
/// a call may take, and extra environment variables. From <c>--engine CMD</c> or an <c>--engine-config</c> file.
/// </summary>
public sealed record ExternalEngineConfig
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The program and its first arguments.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>A name for errors before the handshake names the engine (the config's <c>name</c>, else the program).</summary>
    public string? Name { get; init; }

    /// <summary>A name map file (docs/name-maps.md), or null when the engine writes llama.cpp's names.</summary>
    public string? NameMapPath { get; init; }

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Where the config came from, for messages (<c>--engine</c> or the file).</summary>
    public string Source { get; init; } = "--engine";

    public string DisplayName => Name ?? Path.GetFileName(Command[0]);

    public static ExternalEngineConfig FromCommandLine(string commandLine, string? nameMap = null, TimeSpan? timeout = null) => new()
    {
        Command = CommandWords.Split(commandLine),
        NameMapPath = nameMap,
        Timeout = timeout ?? DefaultTimeout,
    };

    /// <summary>Reads a config file; every error names the file, the member and what was expected.</summary>
    public static ExternalEngineConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException(Directory.Exists(full)
                ? $"{full}: a directory; expected an engine config file (docs/external-engines.md)"
                : $"{full}: no such engine config file", full);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(full));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{full}: not JSON ({e.Message}); expected an engine config (docs/external-engines.md)", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(full, "the top level", "an object");
            }

            var directory = Path.GetDirectoryName(full)!;
            var command = ReadCommand(root, full, directory);
            return new ExternalEngineConfig
            {
                Command = command,
                Name = OptionalString(root, "name", full),
                NameMapPath = OptionalString(root, "nameMap", full) is { } map ? Path.GetFullPath(map, directory) : null,
                Timeout = root.TryGetProperty("timeoutSeconds", out var t)
                    ? (t.ValueKind == JsonValueKind.Number && t.TryGetDouble(out var s) && s > 0 && s <= 7 * 24 * 3600 ? TimeSpan.FromSeconds(s) : throw Bad(full, "timeoutSeconds", "a number of seconds above 0, at most a week"))
                    : DefaultTimeout,
                Environment = ReadEnvironment(root, full),
                Source = full,
            };
        }
    }

    private static List<string> ReadCommand(JsonElement root, string file, string directory)
    {
        if (!root.TryGetProperty("command", out var c) || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() == 0)
        {
            throw Bad(file, "command", "a non-empty array of strings: the program and its first arguments");
        }

        var words = new List<string>();
        foreach (var w in c.EnumerateArray())
        {
            words.Add(w.ValueKind == JsonValueKind.String && w.GetString() is { Length: > 0 } s ? s : throw Bad(file, $"command[{words.Count}]", "a non-empty string"));
        }

        // A program given by a relative path lives beside the config; a bare name is looked up on PATH.
        if (words[0].Contains('/', StringComparison.Ordinal) && !Path.IsPathRooted(words[0]))
        {
            words[0] = Path.GetFullPath(words[0], directory);
        }

        return words;
    }

    private static Dictionary<string, string> ReadEnvironment(JsonElement root, string file)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("environment", out var e))
        {
            return env;
        }

        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Bad(file, "environment", "an object of string values");
        }

        foreach (var p in e.EnumerateObject())
        {
            env[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw Bad(file, $"environment.{p.Name}", "a string");
        }

        return env;
    }

    private static string? OptionalString(JsonElement root, string member, string file) =>
        !root.TryGetProperty(member, out var v) ? null
        : v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s
        : throw Bad(file, member, "a non-empty string");

    private static InvalidDataException Bad(string file, string member, string expected) =>
        new($"{file}: {member}: expected {expected} (docs/external-engines.md)");
}
