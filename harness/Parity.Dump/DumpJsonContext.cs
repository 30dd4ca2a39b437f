using System.Text.Json.Serialization;

namespace Parity.Dump;

/// <summary>Compile-time JSON metadata for the manifests (used through <see cref="DumpJson.Options"/>).</summary>
[JsonSerializable(typeof(RunManifest))]
[JsonSerializable(typeof(StepManifest))]
internal sealed partial class DumpJsonContext : JsonSerializerContext;
