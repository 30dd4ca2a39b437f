using System.CommandLine;
using Parity.Cli.Rendering;
using Parity.Engine.Tokenizer;
using Parity.Harness.Compare;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>parity diff DUMP_A DUMP_B</c>: compares any two dumps with no model needed (engine vs llama.cpp, llama.cpp vs
/// llama.cpp from another build or thread count, engine before vs after a change). B is the reference.
/// </summary>
public static class DiffCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var dumpA = new Argument<DirectoryInfo>("dump-a") { Description = "Run directory of the candidate (A)" };
        var dumpB = new Argument<DirectoryInfo>("dump-b") { Description = "Run directory of the reference (B)" };
        var output = new Option<string?>("--out") { Description = "Where report.csv and report.json go (default: the candidate's run directory)" }.Expecting("a directory for the reports");
        var nameMap = new Option<FileInfo?>("--name-map") { Description = "A JSON name map (docs/name-maps.md): regular expressions over A's tensor names and the llama.cpp keys they stand for" };
        var report = new ReportOptions();
        var command = new Command("diff", "Compare two dumps tensor by tensor") { dumpA, dumpB, output, nameMap };
        report.AddTo(command);
        command.SetAction(async parse =>
        {
            var a = parse.GetValue(dumpA)!.FullName;
            var b = parse.GetValue(dumpB)!.FullName;
            var started = System.Diagnostics.Stopwatch.StartNew();

            // Start-up in parallel: a one-shot diff of a small dump is mostly first-use cost (JSON, type loading,
            // JIT), so the comparison kernels compile and the tolerance policy loads on a worker while this thread
            // opens the reference run and its architecture's graph descriptor (measured: opening the candidate here too, in
            // parallel with the worker's first-use work, made the whole slower).
            var policy = Task.Run(() =>
            {
                TensorComparer.Warm();
                return report.Policy(parse);
            });
            var reportDir = parse.GetValue(output) is { } outDir ? CommonOptions.OutputDirectory(outDir) : a;
            var runB = Parity.Dump.DumpRun.Open(b);
            var graph = Parity.Harness.Graph.GraphDescriptors.For(runB.Manifest.Model.Architecture);
            var names = parse.GetValue(nameMap) is { } mapFile ? NameMap.Load(mapFile.FullName) : null;
            var differ = new DumpDiffer(await policy.ConfigureAwait(false), graph, report.Pairing(parse), names);
            using var foreign = ForeignDump.IsForeign(a) ? new ImportedDump(a, runB) : null;
            var runA = Parity.Dump.DumpRun.Open(foreign?.Directory ?? a);
            var diff = await ProgressDisplay.RunAsync(parse, stdout, stderr, io => Task.FromResult(differ.Diff(runA, runB, io.Progress))).ConfigureAwait(false);
            diff = foreign is null ? diff : diff with { DirectoryA = a };
            stderr.WriteLine($"[parity] {DiffThroughput.Describe(a, b, started.Elapsed)}");
            var model = diff.ManifestB.Model.Path;
            return report.Report(parse, diff, reportDir, stdout, File.Exists(model) ? Tokenizers.Load(model) : null);
        });
        return command;
    }
}
