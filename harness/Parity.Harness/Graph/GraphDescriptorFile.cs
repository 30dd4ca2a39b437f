using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parity.Harness.Graph;

/// <summary>The JSON shape of a descriptor file (docs/architectures.md, "The graph descriptor"); validated into a <see cref="GraphDescriptor"/>.</summary>
internal sealed record GraphDescriptorFile
{
    public required int FormatVersion { get; init; }

    public required string Architecture { get; init; }

    public string? Source { get; init; }

    // The source-generated reader assigns null to an init-only member the file leaves out: keep the empty default.
    public IReadOnlyDictionary<string, string> Aliases { get; init => field = value ?? new Dictionary<string, string>(); } = new Dictionary<string, string>();

    public required IReadOnlyList<IgnoreRule> Ignore { get; init; }

    public required Residual Residual { get; init; }

    // The source-generated reader assigns null to an init-only member the file leaves out: keep the empty default.
    public IReadOnlyDictionary<string, string> OpNames { get; init => field = value ?? new Dictionary<string, string>(); } = new Dictionary<string, string>();

    public required IReadOnlyList<GraphNode> Nodes { get; init; }

    public required GraphWeights Weights { get; init; }
}

/// <summary>
/// Compile-time JSON metadata for descriptors. Unknown members are refused, so a misspelt flag is an error naming it
/// rather than a silently different graph; missing required members and nulls are refused too.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(GraphDescriptorFile))]
internal sealed partial class GraphJsonContext : JsonSerializerContext;
