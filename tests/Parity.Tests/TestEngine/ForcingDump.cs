using Parity.Dump;
using Parity.Harness.Compare;

namespace Parity.Tests.TestEngine;

/// <summary>
/// A llama.cpp dump under the test engine's names, as the protocol's <c>forceFrom</c>: the reverse of the name map,
/// taken from a dump of the engine (which of its names stands for which llama.cpp key). llama.cpp's tensors that stand
/// for none of the engine's (views, the KV cache) are left out; values and shapes are llama.cpp's.
/// </summary>
internal static class ForcingDump
{
    public static string Write(string reference, string engineNames, NameMap map, string destination)
    {
        var reverse = ReverseMap(engineNames, map);
        var run = DumpRun.Open(reference);
        var m = run.Manifest;
        using var writer = DumpRunWriter.Create(destination, new DumpRunInfo { Producer = m.Producer, Model = m.Model, Prompt = m.Prompt, Options = m.Options, Notes = m.Notes });
        for (var i = 0; i < run.StepCount; i++)
        {
            using var step = run.OpenStep(i);
            using var w = writer.BeginStep(step.Step);
            foreach (var e in step.Tensors.Where(e => reverse.ContainsKey(e.Key)))
            {
                // Written in llama.cpp's order, the k-th tensor of an engine name gets occurrence k, as in the engine's dump.
                w.Add(reverse[e.Key], e.Op, step.ToFloat32Array(e), e.Ne.ToArray());
            }

            w.Complete(step.Manifest.Tokens, step.Manifest.Positions, step.Manifest.GeneratedTokens);
        }

        writer.Complete(run.GeneratedTokens);
        return destination;
    }

    /// <summary>llama.cpp key → the engine's tensor name, from the first step of an engine dump.</summary>
    private static Dictionary<string, string> ReverseMap(string engineDump, NameMap map)
    {
        using var step = DumpRun.Open(engineDump).OpenStep(0);
        return step.Tensors.ToDictionary(map.KeyFor, e => e.Name, StringComparer.Ordinal);
    }
}
