using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parity.Harness.Compare;

/// <summary>
/// Compile-time JSON metadata for the comparison's data files (tolerance policies): read at the start of
/// every diff, where reflection-based metadata cost more start-up than reading the tensors.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(TolerancePolicy))]
internal sealed partial class CompareJsonContext : JsonSerializerContext;
