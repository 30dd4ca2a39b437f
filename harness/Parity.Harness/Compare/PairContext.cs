using Parity.Dump;
using Parity.Harness.Graph;

namespace Parity.Harness.Compare;

/// <summary>What judging and explaining one pair needs beyond its values: the reference step, the rule and the graph.</summary>
internal sealed record PairContext(DumpStep StepB, StepManifest Manifest, ToleranceRule Rule, GraphDescriptor Graph);
