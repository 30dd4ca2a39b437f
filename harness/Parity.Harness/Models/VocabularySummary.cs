using Parity.Gguf;

namespace Parity.Harness.Models;

/// <summary>The tokenizer part of a model summary: model kind, counts by token type and the special ids.</summary>
public sealed record VocabularySummary
{
    public string? Model { get; init; }

    public string? Pre { get; init; }

    public int Count { get; init; }

    public int Normal { get; init; }

    public int Control { get; init; }

    public int Byte { get; init; }

    public int Unknown { get; init; }

    public int Other { get; init; }

    public long? BosId { get; init; }

    public long? EosId { get; init; }

    public long? UnknownId { get; init; }

    public bool? AddBos { get; init; }

    public bool? AddEos { get; init; }

    public bool HasChatTemplate { get; init; }

    public static VocabularySummary Read(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var types = file.TryGetValue(GgufKeys.TokenTypes, out var t) && t.ElementType == GgufValueType.Int32 ? t.AsArray<int>() : [];
        long? Id(string key) => file.GetTyped(key, "an integer token id", GgufValueType.UInt8, GgufValueType.Int8, GgufValueType.UInt16, GgufValueType.Int16, GgufValueType.UInt32, GgufValueType.Int32, GgufValueType.UInt64, GgufValueType.Int64)?.AsInt64();
        bool? Flag(string key) => file.GetTyped(key, "a bool", GgufValueType.Bool)?.AsBool();
        return new VocabularySummary
        {
            Model = file.GetTyped(GgufKeys.TokenizerModel, "a string", GgufValueType.String)?.AsString(),
            Pre = file.GetTyped(GgufKeys.TokenizerPre, "a string", GgufValueType.String)?.AsString(),
            Count = file.TryGetValue(GgufKeys.Tokens, out var tokens) ? tokens.ArrayLength : 0,
            Normal = types.Count(x => x == 1),
            Unknown = types.Count(x => x == 2),
            Control = types.Count(x => x == 3),
            Byte = types.Count(x => x == 6),
            Other = types.Count(x => x is not (1 or 2 or 3 or 6)),
            BosId = Id(GgufKeys.BosTokenId),
            EosId = Id(GgufKeys.EosTokenId),
            UnknownId = Id(GgufKeys.UnknownTokenId),
            AddBos = Flag(GgufKeys.AddBosToken),
            AddEos = Flag(GgufKeys.AddEosToken),
            HasChatTemplate = file.TryGetValue(GgufKeys.ChatTemplate, out _),
        };
    }
}
