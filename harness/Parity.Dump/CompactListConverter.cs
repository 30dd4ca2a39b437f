using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parity.Dump;

/// <summary>
/// Writes integer lists (ne, shape, tokens, positions) on one line, <c>[16, 4, 26, 1]</c>, inside otherwise indented
/// manifests: one number per line would make a tensor entry three times as tall and the manifest hard to read.
/// Reads them strictly: an array of integers that fit the element type, nothing else.
/// </summary>
internal sealed class CompactListConverter<T> : JsonConverter<IReadOnlyList<T>>
    where T : struct, IBinaryInteger<T>
{
    public override IReadOnlyList<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"expected an array of integers, found {reader.TokenType}");
        }

        var result = new List<T>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value) || !Fits(value))
            {
                throw new JsonException($"expected an integer of type {typeof(T).Name}, found {reader.TokenType} {Encoding.UTF8.GetString(reader.ValueSpan)}");
            }

            result.Add(T.CreateTruncating(value));
        }

        return result;
    }

    private static bool Fits(long value) => long.CreateTruncating(T.CreateSaturating(value)) == value;

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<T> value, JsonSerializerOptions options)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < value.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(value[i].ToString(null, CultureInfo.InvariantCulture));
        }

        writer.WriteRawValue(text.Append(']').ToString(), skipInputValidation: true);
    }
}
