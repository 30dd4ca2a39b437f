using System.CommandLine;
using System.Globalization;
using Parity.Cli.Rendering;
using Parity.Harness;
using Parity.Harness.Compare;
using Parity.Harness.Engine;
using Parity.Harness.Reports;
using Parity.Harness.Reports.Html;
using Parity.Harness.Suites;

namespace Parity.Cli.Commands;

/// <summary>
/// <c>parity check --suite NAME [--case PATTERN] [--shard i/n] [--live]</c>: the engine against the committed goldens
/// and tolerance snapshots, no llama.cpp inference needed; <c>--live</c> also reruns llama.cpp to prove the goldens
/// still reproduce. Exit codes as <c>parity run</c>: 0 all pass, 1 parity broken, 2 bad input (a missing or corrupt
/// golden, a model that is not the golden's).
/// </summary>
public static class CheckCommand
{
    private const string LiveSuffix = " (live)";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var suiteOptions = new SuiteOptions();
        var shard = new Option<string?>("--shard") { Description = "Run only shard i of n (1-based), e.g. 1/2" };
        var live = new Option<bool>("--live") { Description = "Also rerun llama.cpp (with the golden's threads and another count) and require the goldens to reproduce bit for bit" };
        var tolerances = new Option<string?>("--tolerances") { Description = "Tolerance policy file (default: the suite's, else reference-data/tolerances/default.json)" };
        var toleranceOnly = new Option<bool>("--tolerance-only") { Description = "Hold tensors to the tolerance policy only; do not compare or write snapshots (for git bisect across commits)" };
        var html = new Option<string?>("--html") { Description = "Write an HTML report: every case's verdict, and each failing case's plots and tensors" }.Expecting("a file to write the HTML report to");
        var junit = new Option<string?>("--junit") { Description = "Write JUnit XML: one test case per suite case, the failing tensor and its tolerance in the failure message" }.Expecting("a file to write the JUnit XML to");
        var annotations = new Option<bool>("--github-annotations") { Description = "Print a GitHub Actions ::error line for each case that does not pass, naming the case and tensor" };
        var engines = new EngineUnderTestOptions();
        var command = new Command("check", "Check the engine against a suite's golden dumps and tolerance snapshots") { shard, live, tolerances, toleranceOnly, html, junit, annotations };
        suiteOptions.AddTo(command);
        engines.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var (suite, selected) = suiteOptions.Read(parse);
            var cases = SuiteOptions.Shard(selected, parse.GetValue(shard));
            var policyPath = parse.GetValue(tolerances) ?? (suite.Tolerances is { } t ? Path.Combine(suite.Directory, t) : TolerancePolicy.DefaultPath);
            var policy = TolerancePolicy.Load(policyPath);
            var runner = CommonOptions.Runner(parse);
            var work = Path.Combine(Path.GetTempPath(), "parity-check-" + Environment.ProcessId);
            Directory.CreateDirectory(work);
            try
            {
                var results = await ProgressDisplay.RunAsync(parse, stdout, stderr, async io =>
                {
                    var resolver = new SuiteModelResolver(CommonOptions.Cache(parse, io.Progress));
                    var engine = engines.Config(parse) is { } config ? await ExternalEngine.ConnectAsync(config, ct).ConfigureAwait(false) : null;
                    var checker = new SuiteChecker(resolver, policy, work, compareSnapshots: !parse.GetValue(toleranceOnly), engine: engine);
                    var liveChecker = parse.GetValue(live) ? new SuiteLiveChecker(resolver, runner, work) : null;
                    io.Err.WriteLine($"[parity] suite '{suite.Name}' ({suite.Directory}): {cases.Count} case(s){(liveChecker is null ? string.Empty : ", with --live")}, engine {engine?.Name ?? BuiltInEngine.EngineName}{(engine is null ? string.Empty : " (external: no snapshots; a case it refuses is skipped)")}");
                    WriteGoldenBuilds(io.Err, suite, cases);
                    var results = new List<CaseResult>();
                    foreach (var (c, i) in cases.Select((c, i) => (c, i)))
                    {
                        io.Progress.Report(new WorkProgress("check", i, cases.Count, "case", c.Name));
                        results.AddRange(await CheckCaseAsync(suite, c, checker, liveChecker, io.Out, ct).ConfigureAwait(false));
                    }

                    io.Progress.Report(new WorkProgress("check", cases.Count, cases.Count, "case"));
                    return results;
                }).ConfigureAwait(false);

                WriteReports(parse.GetValue(html), parse.GetValue(junit), parse.GetValue(annotations) ? stdout : null, suite.Name, results);
                return Summarize(stdout, results);
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
        });
        return command;
    }

    /// <summary>The case against its golden and, with --live, the golden against llama.cpp again; each printed as it ends.</summary>
    private static async Task<IReadOnlyList<CaseResult>> CheckCaseAsync(Suite suite, SuiteCase c, SuiteChecker checker, SuiteLiveChecker? liveChecker, TextWriter stdout, CancellationToken ct)
    {
        var result = await checker.CheckAsync(suite, c, ct).ConfigureAwait(false);
        Print(stdout, result, string.Empty);
        if (liveChecker is null || result.Verdict == CaseVerdict.Skipped)
        {
            return [result];
        }

        var liveResult = await liveChecker.CheckAsync(suite, c, ct).ConfigureAwait(false);
        Print(stdout, liveResult, LiveSuffix);
        return [result, liveResult with { Case = liveResult.Case + LiveSuffix }];
    }

    /// <summary>Which llama.cpp build made the goldens; when they come from more than one, each build with its cases.</summary>
    private static void WriteGoldenBuilds(TextWriter err, Suite suite, IReadOnlyList<SuiteCase> cases)
    {
        var builds = GoldenBuilds.Of(suite, cases);
        if (builds.Count == 1)
        {
            err.WriteLine($"[parity] goldens made by {builds[0].Build}");
            return;
        }

        foreach (var (build, names) in builds)
        {
            err.WriteLine($"[parity] goldens from different llama.cpp builds: {names.Count} case(s) by {build} ({string.Join(", ", names.Take(4))}{(names.Count > 4 ? ", ..." : string.Empty)})");
        }
    }

    private static void WriteReports(string? html, string? junit, TextWriter? annotations, string suite, IReadOnlyList<CaseResult> results)
    {
        if (html is not null)
        {
            HtmlReport.WriteSuite(suite, results, html);
        }

        if (junit is not null)
        {
            JunitReport.Write(suite, results, junit);
        }

        foreach (var line in annotations is null ? [] : GithubAnnotations.Lines(suite, results))
        {
            annotations!.WriteLine(line);
        }
    }

    public static void Print(TextWriter stdout, CaseResult result, string suffix)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(result);
        var label = result.Verdict switch
        {
            CaseVerdict.Passed => "PASS ",
            CaseVerdict.Failed => "FAIL ",
            CaseVerdict.Skipped => "SKIP ",
            _ => "ERROR",
        };
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} {result.Case}{suffix} ({result.Elapsed.TotalSeconds:F1} s): {result.Summary}"));
        foreach (var detail in result.Details.Skip(result.Details.Count > 0 && result.Details[0].StartsWith(result.Summary, StringComparison.Ordinal) ? 1 : 0))
        {
            foreach (var line in detail.Split('\n'))
            {
                stdout.WriteLine("      " + line);
            }
        }
    }

    public static int Summarize(TextWriter stdout, IReadOnlyList<CaseResult> results)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(results);
        int Count(CaseVerdict v) => results.Count(r => r.Verdict == v);
        stdout.WriteLine($"{Count(CaseVerdict.Passed)} passed, {Count(CaseVerdict.Failed)} failed, {Count(CaseVerdict.Error)} errors, {Count(CaseVerdict.Skipped)} skipped");
        return Count(CaseVerdict.Error) > 0 ? ExitCodes.BadInput
            : Count(CaseVerdict.Failed) > 0 ? ExitCodes.ParityBroken
            : ExitCodes.Ok;
    }
}
