using System.Text.Json.Nodes;

namespace Parity.Harness.Runner;

/// <summary>One successful runner call: its command line, the JSON object it printed, its stderr and duration.</summary>
public sealed record RunnerResult(string CommandLine, JsonObject Json, string Stderr, TimeSpan Duration);
