using System.Globalization;
using Parity.Dump;
using Parity.Harness.Compare;
using Parity.Harness.Engine;
using Parity.Harness.Graph;
using Parity.Harness.Runner;

namespace Parity.Harness.Bisect;

/// <summary>
/// Finds the first diverging tensor and tells a local bug from propagated error. Three engine runs against one
/// llama.cpp dump: free-running (the cumulative error of every tensor), every op fed llama.cpp's exact inputs (each
/// tensor's local error, one op at a time), and every layer fed llama.cpp's layer input (each layer's local error).
/// The first failing layer is found by bisecting the residual stream checkpoints, then the tensors of that layer are
/// scanned in graph order. Checkpoints, layer inputs and op inputs come from the graph descriptor of the reference's
/// architecture. The engine is any <see cref="IEngineUnderTest"/> that honours teacher forcing; one that names its
/// tensors its own way is forced with llama.cpp's values rewritten under its names (<see cref="ForcingDump"/>).
/// </summary>
public sealed class Bisector(TolerancePolicy policy, double localBound = 1e-6, PairingOptions? pairing = null)
{
    /// <param name="progress">Told each of the three engine runs and three comparisons, as phase "bisect".</param>
    public async Task<BisectReport> RunAsync(IEngineUnderTest engine, DumpRequest request, DumpRun reference, string workDirectory, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(reference);
        if (!engine.CanTeacherForce)
        {
            throw new ArgumentException($"engine {engine.Name} cannot be teacher-forced (its capabilities say teacherForcing: false); bisect needs it to tell a local bug from propagated error");
        }

        var tokens = reference.Manifest.Prompt.Tokens;
        var steps = reference.StepCount - 1;
        var graph = GraphDescriptors.For(reference.Manifest.Model.Architecture).ForFlashAttention(reference.Manifest.Options.FlashAttention);
        var pass = 0;
        void Pass(string what) => progress?.Report(new WorkProgress("bisect", pass++, 6, "pass", what));
        DumpRequest Request(string name) =>
            // A filtered reference (a golden keeping some tensors) is matched by the same filter on the engine side.
            request with { OutputDirectory = Path.Combine(workDirectory, name), Steps = steps, Filter = reference.Manifest.Options.Filter };
        var call = new EngineDumpCall { Request = Request("free-running"), Tokens = tokens, TeacherTokens = reference.GeneratedTokens, Reference = reference.Manifest.Producer };
        Pass("engine free-running");
        var free = await engine.DumpAsync(call, null, cancellationToken).ConfigureAwait(false);
        async Task<DumpResult> Forced(string name, Func<string, bool> force)
        {
            Pass("engine " + name);
            var forcing = engine.Names is null
                ? (reference, (Func<string, bool>?)force)
                : Translated(name, force);
            return await engine.DumpAsync(call with { Request = Request(name), ForceFrom = forcing.Item1, Force = forcing.Item2 }, null, cancellationToken).ConfigureAwait(false);
        }

        (DumpRun, Func<string, bool>?) Translated(string name, Func<string, bool> force)
        {
            var (run, keys) = ForcingDump.Write(reference, DumpRun.Open(free.RunDirectory), engine.Names, graph, force, Path.Combine(workDirectory, name + "-forcing"));
            return (run, keys.Contains);
        }

        var opForced = await Forced("op-forced", _ => true).ConfigureAwait(false);
        var layerForced = await Forced("layer-forced", graph.IsResidual).ConfigureAwait(false);
        var names = engine.Names;

        Pass("comparing free-running");
        var cumulative = new DumpDiffer(policy, graph, pairing, names).Diff(free.RunDirectory, reference.Directory);
        Pass("comparing op-forced");
        var local = new DumpDiffer(policy, graph, pairing, names).Diff(opForced.RunDirectory, reference.Directory);
        Pass("comparing layer-forced");
        var layerLocal = new DumpDiffer(policy, graph, pairing, names).Diff(layerForced.RunDirectory, reference.Directory);
        progress?.Report(new WorkProgress("bisect", pass, 6, "pass", "done"));
        var nLayer = cumulative.LayerCount;

        var (firstCumulative, probes) = FirstCumulativeFailure(cumulative);
        var firstLocal = local.Steps.SelectMany(s => s.Tensors.Select(t => (Step: s, Tensor: t)))
            .Where(x => LocallyOff(x.Tensor))
            .Select(x => ((StepDiff, TensorDiff)?)x)
            .FirstOrDefault();

        var examined = firstLocal?.Item1.Step ?? firstCumulative?.Item1.Step ?? 0;
        var layers = LayerTable(cumulative.Steps[examined], local.Steps[examined], layerLocal.Steps[examined], nLayer, graph);
        string? pinpoint = null;
        BisectVerdict verdict;
        string summary;
        if (firstLocal is { } fl)
        {
            verdict = BisectVerdict.Local;
            var (step, tensor) = fl;
            var inputs = graph.InputsOf(tensor.Key, nLayer);
            var inputNmse = inputs.Select(k => Nmse(cumulative.Steps[step.Step], k)).DefaultIfEmpty(0).Max();
            pinpoint = Pinpoint(opForced.RunDirectory, reference, step, tensor, graph, names);
            var freeInputs = inputs.Count == 0 ? "are token ids"
                : FailureDescription.AllIdentical(cumulative.Steps[step.Step], inputs) ? "identical free-running"
                : $"agree (NMSE {inputNmse:G2} free-running)";
            summary = string.Create(CultureInfo.InvariantCulture,
                $"local: {graph.DescribeOp(tensor.Op)} on {tensor.Key} (step {step.Step}, {Positions(step)}) — inputs {freeInputs}, output {LocalError(tensor)} on llama.cpp's inputs");
        }
        else if (firstCumulative is { } fc)
        {
            verdict = BisectVerdict.Propagated;
            var (step, tensor) = fc;
            var inputs = graph.InputsOf(tensor.Key, nLayer);
            var inputNmse = inputs.Select(k => Nmse(step, k)).DefaultIfEmpty(0).Max();
            summary = string.Create(CultureInfo.InvariantCulture,
                $"propagated: inputs of {tensor.Key} (step {step.Step}) already off by NMSE {inputNmse:G2}, op itself within its local test (local NMSE {Nmse(local.Steps[step.Step], tensor.Key):G2}); output NMSE {tensor.Metrics?.Nmse:G3} breaks {tensor.Rule?.Bound}");
        }
        else
        {
            verdict = BisectVerdict.Clean;
            var worst = local.Steps.SelectMany(s => s.Tensors).Where(t => t.Metrics is not null).MaxBy(t => t.Metrics!.Nmse);
            summary = local.Exact
                ? $"clean: every tensor bit-identical over {cumulative.Steps.Count} step(s), free-running and with every op on llama.cpp's inputs (regime: {local.Regime})"
                : string.Create(CultureInfo.InvariantCulture,
                    $"clean: every tensor within tolerance over {cumulative.Steps.Count} step(s), and every op on llama.cpp's inputs within local NMSE {localBound:G2} (worst {worst?.Key}: {worst?.Metrics?.Nmse:G2}; regime: {local.Regime})");
        }

        return new BisectReport
        {
            Verdict = verdict,
            Summary = summary,
            FirstCumulative = firstCumulative,
            FirstLocal = firstLocal,
            Pinpoint = pinpoint,
            Layers = layers,
            Step = examined,
            LocalBound = localBound,
            SearchProbes = probes,
            Cumulative = cumulative,
            Local = local,
        };
    }

    /// <summary>
    /// The local test of one op on llama.cpp's inputs: in the exact regime, identity (any differing bit is the op's own);
    /// under tolerance rules, an NMSE above the local bound. A missing, misshapen, non-finite output or another op is off in both.
    /// </summary>
    private bool LocallyOff(TensorDiff t) =>
        t.Status is TensorStatus.ShapeMismatch or TensorStatus.OpMismatch or TensorStatus.OnlyInA or TensorStatus.NonFinite
        || (t.Rule is { IsIdentity: true } ? t.Status == TensorStatus.Differs : t.Metrics is { } m && (double.IsNaN(m.Nmse) || m.Nmse > localBound));

    private static string LocalError(TensorDiff t) => t.Metrics switch
    {
        { } m when t.Status == TensorStatus.Differs => string.Create(CultureInfo.InvariantCulture, $"{FailureDescription.Differing(m)} (NMSE {m.Nmse:G3})"),
        { } m => string.Create(CultureInfo.InvariantCulture, $"NMSE {m.Nmse:G3}"),
        null => t.Status.ToString(),
    };

    /// <summary>
    /// Bisects the graph's residual checkpoints (the stream's input, each layer's output, the output head's; step by
    /// step) for the first that fails, then scans the tensors from the previous checkpoint in graph order. Falls back to
    /// a full scan when the failure healed before a checkpoint (a non-monotone run).
    /// </summary>
    private static ((StepDiff, TensorDiff)? First, int Probes) FirstCumulativeFailure(RunDiff diff)
    {
        var flat = diff.Steps.SelectMany(s => s.Tensors.Select(t => (Step: s, Tensor: t))).ToList();
        var checkpoints = flat.Select((x, i) => (x, i))
            .Where(p => diff.Graph.IsCheckpoint(p.x.Tensor.Key))
            .Select(p => p.i).ToList();
        var (found, probes) = FirstFailureSearch.Find(checkpoints.Count, i => flat[checkpoints[i]].Tensor.IsFailure);
        var start = found is > 0 ? checkpoints[found.Value - 1] + 1 : 0;
        var end = found is { } f ? checkpoints[f] : flat.Count - 1;
        for (var i = start; i <= end; i++)
        {
            if (flat[i].Tensor.IsFailure)
            {
                return ((flat[i].Step, flat[i].Tensor), probes);
            }
        }

        var any = flat.FirstOrDefault(x => x.Tensor.IsFailure);
        return (any.Tensor is null ? null : (any.Step, any.Tensor), probes);
    }

    private static List<LayerErrors> LayerTable(StepDiff cumulative, StepDiff local, StepDiff layerLocal, int nLayer, GraphDescriptor graph)
    {
        var rows = new List<LayerErrors>();
        for (var il = 0; il < nLayer; il++)
        {
            var output = graph.LayerOutputKey(il);
            var worst = local.Tensors.Where(t => t.Layer == il && t.Metrics is not null).MaxBy(t => t.Metrics!.Nmse);
            rows.Add(new LayerErrors(
                output,
                Nmse(cumulative, output),
                Nmse(layerLocal, output),
                Nmse(cumulative, graph.LayerInputKey(il)),
                worst?.Key ?? "-",
                worst?.Metrics?.Nmse ?? double.NaN));
        }

        return rows;
    }

    private static double Nmse(StepDiff step, string key) =>
        step.Tensors.FirstOrDefault(t => t.Key == key)?.Metrics?.Nmse ?? double.NaN;

    private static string Positions(StepDiff step) =>
        step.Positions.Count == 1 ? $"position {step.Positions[0]}" : $"positions {step.Positions[0]}..{step.Positions[^1]}";

    private static string Pinpoint(string forcedRun, DumpRun reference, StepDiff step, TensorDiff tensor, GraphDescriptor graph, NameMap? names)
    {
        using var a = DumpRun.Open(forcedRun).OpenStep(step.Step);
        using var b = reference.OpenStep(step.Step);
        if (DumpDiffer.CandidateIndex(a, graph, names)(tensor.Key) is not { } ea || !b.TryGet(tensor.Key, out var eb))
        {
            return "not available";
        }

        if (ea.DType == DumpDType.I32 || eb.DType == DumpDType.I32)
        {
            // Expert indices: the comparison already named the token, both sides' experts and the router margin.
            return tensor.Note ?? "indices differ";
        }

        var fa = a.ToFloat32Array(ea);
        var fb = b.ToFloat32Array(eb);
        if (ea.Ne[0] != eb.Ne[0] && fb.Length != fa.Length)
        {
            // Padded KV length on the reference side: take its attended columns.
            var trimmed = new float[fa.Length];
            PaddedRows.CopyLeading(fb, (int)eb.Ne[0], trimmed, (int)ea.Ne[0]);
            fb = trimmed;
        }

        return ErrorLocator.Describe(fa, fb, ea.Ne, graph.DimensionLabels(eb.Name, eb.Occurrence), step.Positions);
    }
}
