namespace Parity.Harness;

/// <summary>
/// How far one phase of long work is (synthesizing, quantizing, a side's dump, a diff, suite cases, bisect runs,
/// bench repetitions): <see cref="Done"/> of <see cref="Total"/> <see cref="Unit"/>s, or an unknown total. The
/// libraries report it through <see cref="IProgress{T}"/>; how it is shown is the caller's (the CLI draws a live
/// display on a terminal and prints plain lines elsewhere).
/// </summary>
/// <param name="Phase">What is being done, the same string for every report of one phase ("llama.cpp dump").</param>
/// <param name="Detail">What the phase is on now (a case name, a tensor), or null.</param>
public readonly record struct WorkProgress(string Phase, long Done, long? Total, string Unit = "", string? Detail = null)
{
    /// <summary>A phase of unknown size, shown as under way.</summary>
    public static WorkProgress Started(string phase, string? detail = null) => new(phase, 0, null, Detail: detail);
}
