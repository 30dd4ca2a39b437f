using System.Text.Json.Nodes;
using Parity.Cli;
using Parity.Dump;
using Parity.Harness.Runner;
using Parity.Harness.Suites;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Runner;

/// <summary>
/// The runner against llama.cpp builds other than the packaged one: the layout catalog, the header probe (when a C
/// compiler is present), the refusals by name, and the provenance every dump records. Uses the shared d8a24cc build,
/// skipping with the reason when it is absent; never builds anything from the network.
/// </summary>
[TestFixture]
public sealed class LlamaBuildTests
{
    private const string D8a24ccHeadersSha256 = "98c21a49c038faaba46af97cc481f61ca7625981a63b6e20bf5ab9a53fa7d109";

    /// <summary>A runner that finds no C compiler ($CC names a file that does not exist).</summary>
    private static LlamaCppRunner WithoutCompiler(LlamaCppRunner runner) => runner.WithEnvironment("CC", "/nonexistent/cc");

    [Test]
    public async Task The_packaged_build_is_served_by_its_catalog_layout_without_headers_or_a_compiler()
    {
        var info = await WithoutCompiler(Models.Runner).InfoAsync();
        Assert.That(info.LlamaCppCommit, Does.StartWith("815a2a5"));
        Assert.That(info.Layout, Is.EqualTo("catalog 815a2a5"));
        Assert.That(info.HeadersSha256, Is.Empty);
    }

    [Test]
    public async Task The_d8a24cc_build_is_served_by_its_catalog_layout_and_reports_its_provenance()
    {
        var lib = SharedLlamaBuilds.RequireLibraries(SharedLlamaBuilds.D8a24cc);
        var info = await WithoutCompiler(Models.Runner.WithLibraryDirectory(lib)).InfoAsync();
        Assert.That(info.LlamaCppCommit, Is.EqualTo("d8a24ccee"));
        Assert.That(info.GgmlVersion, Is.EqualTo("0.15.1"));
        Assert.That(info.GgmlCommit, Is.EqualTo("unknown"), "such builds do not know their commit; the headers identify them");
        Assert.That(info.HeadersSha256, Is.EqualTo(D8a24ccHeadersSha256));
        Assert.That(info.Layout, Is.EqualTo("catalog d8a24cc"));
        Assert.That(info.Variant, Is.EqualTo("avx2"), "built with AVX2 and without AVX-512, so it shares the avx2 library's kernels");
        Assert.That(info.SystemInfo, Does.Contain("AVX2 = 1").And.Not.Contain("AVX512 = 1"));
    }

    [Test]
    public async Task Headers_the_catalog_does_not_know_are_probed_once_and_the_probe_reads_what_the_catalog_holds()
    {
        RequireCompiler();
        using var build = CopiedBuild.Create(headers: true, edit: h => h + "\n/* a local build */\n");
        var runner = Models.Runner.WithLibraryDirectory(build.Lib).WithEnvironment("PARITY_CACHE_DIR", build.Cache);
        var first = await runner.InfoAsync();
        Assert.That(first.Layout, Does.StartWith("headers probe (").And.Not.Contain("cached"));
        Assert.That(first.LlamaCppCommit, Is.Empty, "a build the catalog does not know has no known commit");
        Assert.That(first.HeadersSha256, Has.Length.EqualTo(64).And.Not.EqualTo(D8a24ccHeadersSha256));

        var probed = Fields(File.ReadAllText(Path.Combine(build.Cache, "abi", $"layout-{first.HeadersSha256}.json")));
        var catalog = Fields(File.ReadAllText(Path.Combine(RepoRoot.Find(), "harness", "Parity.Runner", "Abi", "layouts", "d8a24cc.json")));
        Assert.That(probed, Is.EquivalentTo(catalog), "the probe of d8a24cc's headers gives the catalog's d8a24cc layout");

        var second = await WithoutCompiler(runner).InfoAsync();
        Assert.That(second.Layout, Does.StartWith("headers probe (cached in"), "the second start reads the cache and needs no compiler");
        var model = Models.Synthetic(SyntheticPresets.Micro);
        Assert.That(await runner.TokenizeAsync(model, "Hello world"), Is.EqualTo(await Models.Runner.TokenizeAsync(model, "Hello world")), "a model loads through the probed layout");
    }

    [Test]
    public async Task Unknown_headers_without_a_compiler_are_refused_naming_the_missing_compiler()
    {
        using var build = CopiedBuild.Create(headers: true, edit: h => h + "\n/* a local build */\n");
        var runner = WithoutCompiler(Models.Runner.WithLibraryDirectory(build.Lib).WithEnvironment("PARITY_CACHE_DIR", build.Cache));
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => runner.InfoAsync());
        Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.UnservableAbi));
        Assert.That(e.Message, Does.Contain("no C compiler").And.Contain(Path.Combine(build.Root, "include")));
    }

    [Test]
    public async Task Headers_lacking_a_field_the_runner_uses_are_refused_naming_the_field()
    {
        RequireCompiler();
        using var build = CopiedBuild.Create(headers: true, edit: h => h.Replace("bool use_extra_bufts;", "bool use_extra_buffers;", StringComparison.Ordinal));
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => Models.Runner.WithLibraryDirectory(build.Lib).WithEnvironment("PARITY_CACHE_DIR", build.Cache).InfoAsync());
        Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.UnservableAbi));
        Assert.That(e.Message, Does.Contain("llama_model_params.use_extra_bufts"));
    }

    [Test]
    public void A_build_with_no_headers_and_an_unknown_commit_is_exit_2_naming_where_headers_were_looked_for()
    {
        using var build = CopiedBuild.Create(headers: false);
        var (code, _, stderr) = ParityCli.Run("--lib-dir", build.Lib, "tokenize", "--model", Models.Synthetic(SyntheticPresets.Micro), "Hello");
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain("no public headers").And.Contain(Path.Combine(build.Root, "include")).And.Contain("ggml 0.15.1"));
    }

    [Test]
    public async Task A_d8a24cc_dump_records_its_build_and_a_diff_against_the_packaged_build_says_the_builds_differ()
    {
        var lib = SharedLlamaBuilds.RequireLibraries(SharedLlamaBuilds.D8a24cc);
        using var temp = new TempDirectory();
        var request = new DumpRequest { ModelPath = Models.Synthetic(SyntheticPresets.Micro), OutputDirectory = temp.File("d8"), Prompt = "Hello world", Steps = 1 };
        var d8 = await Models.Runner.WithLibraryDirectory(lib).DumpAsync(request);
        var packaged = await Models.Runner.WithVariant("avx2").DumpAsync(request with { OutputDirectory = temp.File("packaged") });

        var producer = DumpRun.Open(d8.RunDirectory).Manifest.Producer;
        Assert.That(producer.Version, Is.EqualTo("d8a24ccee"));
        Assert.That(producer.GgmlVersion, Is.EqualTo("0.15.1"));
        Assert.That(producer.LibraryVariant, Is.EqualTo("avx2"));
        Assert.That(producer.LibraryPath, Is.EqualTo(lib));
        Assert.That(producer.HeadersSha256, Is.EqualTo(D8a24ccHeadersSha256));
        Assert.That(producer.CompileFlags, Does.Contain("AVX2 = 1"));
        Assert.That(producer.Layout, Is.EqualTo("catalog d8a24cc"));

        var packagedProducer = DumpRun.Open(packaged.RunDirectory).Manifest.Producer;
        Assert.That(producer.BuildDifference(packagedProducer), Does.Contain("version d8a24ccee vs 815a2a5").And.Contain("ggml 0.15.1 vs 0.18.0"));
        var (code, stdout, _) = ParityCli.Run("diff", d8.RunDirectory, packaged.RunDirectory, "--out", temp.File("report"));
        Assert.That(code, Is.AnyOf(ExitCodes.Ok, ExitCodes.ParityBroken));
        Assert.That(stdout, Does.Contain("the llama.cpp builds differ"));
    }

    [Test]
    public void Parity_run_against_d8a24cc_is_judged_exact_with_the_avx2_numerics_it_was_built_with()
    {
        var lib = SharedLlamaBuilds.RequireLibraries(SharedLlamaBuilds.D8a24cc);
        using var temp = new TempDirectory();
        // d8a24cc's flash attention rounds differently from 815a2a5's at decode steps (docs/numerics.md), so the claim
        // is checked without it.
        var (code, stdout, stderr) = ParityCli.Run("--lib-dir", lib, "run", "--preset", "tinyllama-mini", "--quant", "Q4_K_M", "--steps", "2", "--flash-attn", "off", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS").And.Contain("regime: exact"));
        var engine = DumpRun.Open(Path.Combine(temp.Path, "engine")).Manifest;
        Assert.That(engine.Notes!["exactFor"], Is.EqualTo("llama.cpp d8a24ccee avx2"));
    }

    [Test]
    public void Drift_between_the_packaged_avx2_library_and_d8a24cc_on_tinyllama_mini_q4_k_m_is_identical_with_the_count_compared()
    {
        var lib = SharedLlamaBuilds.RequireLibraries(SharedLlamaBuilds.D8a24cc);
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("--variant", "avx2", "drift", "--to", lib, "--preset", "tinyllama-mini", "--quant", "Q4_K_M", "--steps", "2", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("from: llama.cpp 815a2a5 (avx2, ggml 0.18.0)").And.Contain("to:   llama.cpp d8a24ccee (avx2, ggml 0.15.1"));
        Assert.That(stdout, Does.Match(@"identical \((\d{3,}) tensors bit for bit\)"));
    }

    [Test]
    public void Drift_from_the_avx512_library_to_d8a24cc_names_the_first_moved_op_and_the_layer_table()
    {
        var lib = SharedLlamaBuilds.RequireLibraries(SharedLlamaBuilds.D8a24cc);
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            Assert.Ignore("needs a CPU with AVX-512 to load the package's avx512 library");
        }

        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("--variant", "avx512", "drift", "--to", lib, "--preset", "tinyllama-mini", "--quant", "Q4_K_M", "--steps", "1", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(ExitCodes.ParityBroken), stdout + stderr);
        Assert.That(stdout, Does.Contain("the library variants differ (avx512 vs avx2)"));
        Assert.That(stdout, Does.Match(@"\d+ of \d+ tensors moved; first moved op: step 0 kq-0 \(MUL_MAT, layer 0\)"), "the avx512 tinyBLAS reduces kq in another order than the avx2 one");
        Assert.That(stdout, Does.Contain("layer").And.Contain("first moved"));
    }

    [Test]
    public void Regen_with_d8a24cc_reports_per_case_what_a_direct_drift_reports_and_check_closes_the_loop()
    {
        var lib = SharedLlamaBuilds.RequireLibraries(SharedLlamaBuilds.D8a24cc);
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            Assert.Ignore("needs a CPU with AVX-512: the ci goldens were made with the package's avx512 library, which the direct drift reruns");
        }

        using var workspace = Suites.SuiteWorkspace.CopyOfCi("mini-q4_k_m-story7", "mini-q8_0-bos");
        var before = workspace.GoldenHashes();
        var (code, stdout, stderr) = ParityCli.Run("--lib-dir", lib, "regen", "--suite", workspace.Directory);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(workspace.GoldenHashes(), Is.Not.EqualTo(before));
        Assert.That(stdout, Does.Contain("the goldens move to another llama.cpp build: llama.cpp 815a2a5 (avx512, ggml 0.18.0) -> llama.cpp d8a24ccee (avx2, ggml 0.15.1, headers 98c21a49c038)"));
        var golden = DumpRun.Open(Path.Combine(workspace.Directory, "goldens", "mini-q8_0-bos")).Manifest.Producer;
        Assert.That((golden.Version, golden.LibraryVariant, golden.HeadersSha256), Is.EqualTo(("d8a24ccee", "avx2", D8a24ccHeadersSha256)));

        // The story7 golden keeps every compared tensor, so its first moved op is the full dump's; the bos golden keeps a few.
        var cases = new (string Name, string Quant, string[] Prompt, string Steps, bool KeepsAll)[]
        {
            ("mini-q4_k_m-story7", "Q4_K_M", ["--prompt", "Once upon a time there was"], "1", true),
            ("mini-q8_0-bos", "Q8_0", ["--tokens", "1"], "3", false),
        };
        using var temp = new TempDirectory();
        foreach (var c in cases)
        {
            string[] args = ["--variant", "avx512", "drift", "--to", lib, "--preset", "tinyllama-mini", "--quant", c.Quant, .. c.Prompt, "--steps", c.Steps, "--out", temp.File(c.Name)];
            var drift = ParityCli.Run(args);
            var direct = OutcomeLine(drift.Stdout, "tinyllama-mini-");
            var regen = OutcomeLine(stdout, c.Name + ":");
            Assert.That(regen.Outcome, Is.EqualTo(direct.Outcome), $"{c.Name}: regen said '{regen.Line}', drift said '{direct.Line}'");
            if (c.KeepsAll)
            {
                Assert.That(regen.FirstMoved, Is.EqualTo(direct.FirstMoved), $"{c.Name}: regen said '{regen.Line}', drift said '{direct.Line}'");
            }
        }

        (code, stdout, _) = ParityCli.Run("check", "--suite", workspace.Directory);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout);
        Assert.That(stdout, Does.Contain("2 passed, 0 failed"));
    }

    /// <summary>A drift report's outcome line: identical or moved, and the first moved op.</summary>
    private static (string Line, string Outcome, string? FirstMoved) OutcomeLine(string report, string prefix)
    {
        var line = report.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith(prefix, StringComparison.Ordinal));
        var first = line.Contains("first moved op: ", StringComparison.Ordinal) ? line[(line.IndexOf("first moved op: ", StringComparison.Ordinal) + 16)..].Split(';')[0] : null;
        return (line, line.Contains(": identical (", StringComparison.Ordinal) ? "identical" : "moved", first);
    }

    private static void RequireCompiler()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        if (!new[] { "cc", "gcc", "clang" }.Any(c => path.Split(':').Any(d => File.Exists(Path.Combine(d, c)))))
        {
            Assert.Ignore("needs a C compiler (cc, gcc or clang on PATH) to probe a build's headers");
        }
    }

    private static Dictionary<string, int> Fields(string json) =>
        JsonNode.Parse(json)!["fields"]!.AsObject().ToDictionary(f => f.Key, f => f.Value!.GetValue<int>());

    /// <summary>The shared d8a24cc libraries linked into a scratch build directory, with its headers copied (and edited) or left out.</summary>
    private sealed class CopiedBuild : IDisposable
    {
        private readonly TempDirectory _temp = new();

        public string Root => _temp.Path;

        public string Lib => Path.Combine(Root, "lib");

        public string Cache => Path.Combine(Root, "cache");

        public static CopiedBuild Create(bool headers, Func<string, string>? edit = null)
        {
            var source = SharedLlamaBuilds.RequireLibraries(SharedLlamaBuilds.D8a24cc);
            var build = new CopiedBuild();
            Directory.CreateDirectory(build.Lib);
            foreach (var file in Directory.GetFiles(source))
            {
                File.CreateSymbolicLink(Path.Combine(build.Lib, Path.GetFileName(file)), file);
            }

            if (headers)
            {
                var include = Directory.CreateDirectory(Path.Combine(build.Root, "include")).FullName;
                foreach (var file in Directory.GetFiles(SharedLlamaBuilds.RequireHeaders(SharedLlamaBuilds.D8a24cc), "*.h"))
                {
                    var text = File.ReadAllText(file);
                    File.WriteAllText(Path.Combine(include, Path.GetFileName(file)), Path.GetFileName(file) == "llama.h" && edit is not null ? edit(text) : text);
                }
            }

            return build;
        }

        public void Dispose() => _temp.Dispose();
    }
}
