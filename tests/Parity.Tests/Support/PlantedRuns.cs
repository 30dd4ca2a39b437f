using Parity.Dump;
using Parity.Engine.Model;
using Parity.Harness.Bisect;
using Parity.Harness.Compare;
using Parity.Harness.Engine;
using Parity.Harness.Runner;

namespace Parity.Tests.Support;

/// <summary>
/// What <c>parity run</c> and <c>parity bisect</c> do, with a <see cref="PlantedBug"/> in the engine: llama.cpp's dump
/// of the prompt, the buggy engine's dump of the same tokens (fed llama.cpp's greedy tokens), and bisect over them.
/// The verdict is then the product's own, from <c>parity diff</c> on the two directories.
/// </summary>
public sealed class PlantedRuns(string model, string directory)
{
    public DumpRequest Request(string name, IReadOnlyList<int> tokens, int steps) => new()
    {
        ModelPath = model,
        OutputDirectory = Path.Combine(directory, name),
        Tokens = tokens,
        Steps = steps,
        Decode = new LlamaCppDecodeOptions(),
    };

    /// <summary>llama.cpp's dump of <paramref name="prompt"/> with <paramref name="steps"/> greedy steps.</summary>
    public async Task<DumpRun> ReferenceAsync(string prompt, int steps)
    {
        var ids = await Models.Runner.TokenizeAsync(model, prompt);
        var result = await Models.Runner.DumpAsync(Request("llama.cpp", ids, steps));
        return DumpRun.Open(result.RunDirectory);
    }

    /// <summary>The engine's dump in ggml numerics with <paramref name="bug"/> planted, teacher-forced on the reference's tokens.</summary>
    public string Engine(DumpRun reference, PlantedBug bug)
    {
        var request = Request("engine", reference.Manifest.Prompt.Tokens, reference.StepCount - 1);
        return EngineDumper.Dump(request, request.Tokens!, teacherTokens: reference.GeneratedTokens, numerics: NumericsMode.Ggml, architectures: bug.Registry).RunDirectory;
    }

    public BisectReport Bisect(DumpRun reference, PlantedBug bug)
    {
        var request = Request("bisect", reference.Manifest.Prompt.Tokens, reference.StepCount - 1);
        return new Bisector(TolerancePolicy.Load(TolerancePolicy.DefaultPath))
            .RunAsync(new BuiltInEngine(NumericsMode.Ggml, bug.Registry), request, reference, request.OutputDirectory).GetAwaiter().GetResult();
    }
}
