using System.Text.Json;
using Parity.Dump;

namespace Parity.TestEngine;

/// <summary>A parity-engine protocol request (docs/external-engines.md), version 1: a capabilities handshake or a dump.</summary>
internal sealed record ProtocolRequest
{
    public const int ProtocolVersion = 1;

    public required string Path { get; init; }

    public required string Action { get; init; }

    /// <summary>capabilities: where the answer goes.</summary>
    public string? Response { get; init; }

    public string? Model { get; init; }

    public int[] Tokens { get; init; } = [];

    public int Steps { get; init; }

    public int[]? TeacherTokens { get; init; }

    public int Threads { get; init; }

    public int ContextSize { get; init; }

    public string? Output { get; init; }

    /// <summary>The configuration llama.cpp runs the reference with, recorded as the dump's options.</summary>
    public DumpOptions? Options { get; init; }

    public string? ForceFrom { get; init; }

    public string[]? Force { get; init; }

    public static ProtocolRequest Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new BadRequestException($"request {path}: not a readable JSON object ({e.Message})");
        }

        using (document)
        {
            var r = new Members(path, document.RootElement);
            if (r.Text("protocol") != "parity-engine")
            {
                throw new RefusedException($"request {path}: protocol '{r.Text("protocol")}'; this engine speaks 'parity-engine'");
            }

            var version = r.Int("protocolVersion");
            if (version != ProtocolVersion)
            {
                throw new RefusedException($"request {path}: protocolVersion {version}; this engine implements version {ProtocolVersion} only");
            }

            var action = r.Text("action");
            return action switch
            {
                "capabilities" => new ProtocolRequest { Path = path, Action = action, Response = r.Text("response") },
                "dump" => ReadDump(path, r),
                _ => throw new RefusedException($"request {path}: action '{action}'; this engine implements 'capabilities' and 'dump'"),
            };
        }
    }

    private static ProtocolRequest ReadDump(string path, Members r)
    {
        var request = new ProtocolRequest
        {
            Path = path,
            Action = "dump",
            Model = r.Text("model"),
            Tokens = r.Ints("tokens") ?? throw new BadRequestException($"request {path}: 'tokens' must be an array of token ids"),
            Steps = r.Int("steps"),
            TeacherTokens = r.Ints("teacherTokens"),
            Threads = r.Int("threads"),
            ContextSize = r.Int("contextSize"),
            Output = r.Text("output"),
            Options = r.Options("options"),
            ForceFrom = r.OptionalText("forceFrom"),
            Force = r.Texts("force"),
        };
        string? problem = request switch
        {
            { Tokens.Length: 0 } => "'tokens' is empty; the prompt needs at least one token",
            { Steps: < 0 } => $"'steps' is {request.Steps}; 0 or more expected",
            { TeacherTokens: { } teacher } when teacher.Length != request.Steps => $"'teacherTokens' has {teacher.Length} entries; 'steps' is {request.Steps}",
            _ when request.ContextSize < request.Tokens.Length + request.Steps => $"'contextSize' {request.ContextSize} is less than the prompt ({request.Tokens.Length}) plus the steps ({request.Steps})",
            _ => null,
        };
        return problem is null ? request : throw new BadRequestException($"request {path}: {problem}");
    }

    /// <summary>Typed reads of the request's members; each error names the member and what was expected.</summary>
    private sealed class Members(string path, JsonElement root)
    {
        public string Text(string name) =>
            OptionalText(name) ?? throw new BadRequestException($"request {path}: '{name}' missing; a string expected");

        public string? OptionalText(string name) => Get(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => v.GetString(),
            _ => throw new BadRequestException($"request {path}: '{name}' must be a string"),
        };

        /// <summary>A dump's <c>options</c> object, member by member (docs/dump-format.md).</summary>
        public DumpOptions Options(string name)
        {
            var o = Get(name) is { ValueKind: JsonValueKind.Object } v ? new Members($"{path}: '{name}'", v) : throw new BadRequestException($"request {path}: '{name}' missing; an object expected");
            return new DumpOptions
            {
                Threads = o.Int("threads"),
                FlashAttention = o.Bool("flashAttention"),
                TypeK = o.Text("typeK"),
                TypeV = o.Text("typeV"),
                Repack = o.Bool("repack"),
                NCtx = o.Int("nCtx"),
                NBatch = o.Int("nBatch"),
                Filter = o.OptionalText("filter"),
                OutputAll = o.Bool("outputAll"),
            };
        }

        public bool Bool(string name) => Get(name)?.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new BadRequestException($"request {path}: '{name}' missing or not true/false"),
        };

        public int Int(string name) =>
            Get(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out var n) ? n : throw new BadRequestException($"request {path}: '{name}' missing or not an integer");

        public int[]? Ints(string name) => Array(name, e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var n) ? n : throw new BadRequestException($"request {path}: '{name}' must hold integers"));

        public string[]? Texts(string name) => Array(name, e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new BadRequestException($"request {path}: '{name}' must hold strings"));

        private T[]? Array<T>(string name, Func<JsonElement, T> read) => Get(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Array } v => [.. v.EnumerateArray().Select(read)],
            _ => throw new BadRequestException($"request {path}: '{name}' must be an array or null"),
        };

        private JsonElement? Get(string name)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new BadRequestException($"request {path}: a JSON object expected");
            }

            return root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
        }
    }
}
