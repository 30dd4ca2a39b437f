using System.Text.Json;
using System.Text.RegularExpressions;

namespace Parity.Harness.Engine;

/// <summary>An external engine's answer to the <c>capabilities</c> handshake (docs/external-engines.md).</summary>
public sealed record ExternalEngineCapabilities(string Name, string Version, bool TeacherForcing, IReadOnlyList<string> Tensors, string Numerics, bool Bench = false, bool FlashAttention = false)
{
    /// <summary>Reads the answer file; returns the problem instead when it is missing or not what the protocol asks for.</summary>
    public static (ExternalEngineCapabilities? Answer, string? Problem) Read(string path)
    {
        if (!File.Exists(path))
        {
            return (null, $"exited 0 without writing its capabilities answer to {path}");
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "its capabilities answer is not a JSON object");
            }

            if (!root.TryGetProperty("protocolVersion", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != ExternalEngine.ProtocolVersion)
            {
                return (null, $"its capabilities answer has no protocolVersion {ExternalEngine.ProtocolVersion}");
            }

            var name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } s ? s : null;
            var ver = root.TryGetProperty("version", out var vv) && vv.ValueKind == JsonValueKind.String ? vv.GetString()! : null;
            var forcing = root.TryGetProperty("teacherForcing", out var tf) && tf.ValueKind is JsonValueKind.True or JsonValueKind.False ? tf.GetBoolean() : (bool?)null;
            var numerics = !root.TryGetProperty("numerics", out var nu) ? "f32" : nu.ValueKind == JsonValueKind.String ? nu.GetString() : null;
            var tensors = ReadTensors(root);
            var bench = OptionalBool(root, "bench");
            var flash = OptionalBool(root, "flashAttention");
            var problem = name is null ? "name: expected a non-empty string"
                : ver is null ? "version: expected a string"
                : forcing is null ? "teacherForcing: expected true or false"
                : numerics is not ("f32" or "f64") ? "numerics: expected \"f32\" or \"f64\""
                : tensors is null ? "tensors: expected an array of regular expressions"
                : bench is null ? "bench: expected true or false"
                : flash is null ? "flashAttention: expected true or false"
                : null;
            return problem is null
                ? (new ExternalEngineCapabilities(name!, ver!, forcing!.Value, tensors!, numerics!, bench!.Value, flash!.Value), null)
                : (null, "its capabilities answer is wrong: " + problem);
        }
        catch (JsonException e)
        {
            return (null, $"its capabilities answer is not JSON ({e.Message})");
        }
    }

    // Absent: false; present: a JSON boolean, else null (wrong).
    private static bool? OptionalBool(JsonElement root, string member) =>
        !root.TryGetProperty(member, out var v) ? false : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static List<string>? ReadTensors(JsonElement root)
    {
        if (!root.TryGetProperty("tensors", out var t) || t.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var list = new List<string>();
        foreach (var p in t.EnumerateArray())
        {
            if (p.ValueKind != JsonValueKind.String || !Compiles(p.GetString()!))
            {
                return null;
            }

            list.Add(p.GetString()!);
        }

        return list;
    }

    private static bool Compiles(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
