using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parity.Harness.Reports;

/// <summary>
/// The one convention of every JSON document the CLI writes (report.json, <c>bench --format json</c>): camelCase
/// members, enums as their names, NaN and infinities as named literals, and <c>schemaVersion</c> as the first member,
/// raised when a member changes meaning or goes away (adding members keeps the version). docs/reports.md lists the fields.
/// </summary>
public static class MachineJson
{
    public const int SchemaVersion = 1;

    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };
}
