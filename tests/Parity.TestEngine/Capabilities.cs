using System.Text.Json;

namespace Parity.TestEngine;

/// <summary>The handshake's answer: what this engine is and writes, and that it honours teacher forcing.</summary>
internal static class Capabilities
{
    public static void Write(string responsePath, EngineOptions engine)
    {
        using var stream = File.Create(responsePath);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("protocolVersion", ProtocolRequest.ProtocolVersion);
        json.WriteString("name", EngineOptions.Name);
        json.WriteString("version", engine.Version);
        json.WriteBoolean("teacherForcing", true);
        json.WriteStartArray("tensors");
        foreach (var pattern in TensorNames.Patterns)
        {
            json.WriteStringValue(pattern);
        }

        json.WriteEndArray();
        json.WriteString("numerics", "f32");
        json.WriteEndObject();
    }
}
