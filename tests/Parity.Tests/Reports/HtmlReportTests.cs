using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Parity.Harness.Bisect;
using Parity.Harness.Reports.Html;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Reports;

/// <summary>
/// The two report pages people look at: <c>parity run</c>'s default comparison (through the CLI), and
/// <c>parity bisect</c>'s page for the mutation suite's GQA bug (<c>h % n_kv</c>), written by the same library call the
/// CLI's bisect makes, from a bisect with the bug planted. Their structure is read with AngleSharp; headless Chromium
/// (when installed) renders them.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HtmlReportTests
{
    private TempDirectory _temp = null!;
    private string _runPage = null!;
    private string _bisectPage = null!;
    private BisectReport _bisect = null!;

    [OneTimeSetUp]
    public async Task WritePages()
    {
        _temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "tinyllama-mini", "--quant", "Q4_K_M", "--steps", "8", "--out", _temp.File("run"));
        Assert.That(code, Is.EqualTo(0), stdout + stderr);
        _runPage = _temp.File("run/report.html");

        var runs = new PlantedRuns(Models.Synthetic(SyntheticPresets.Micro), _temp.File("gqa"));
        var reference = await runs.ReferenceAsync("Once upon a time there was a dog", steps: 2);
        _bisect = runs.Bisect(reference, PlantedBug.Fault("GqaModuloMapping"));
        _bisectPage = _temp.File("gqa/report.html");
        HtmlReport.Write(new HtmlReportInput { Title = "parity bisect", Diff = _bisect.Cumulative, Bisect = _bisect }, _bisectPage);
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp.Dispose();

    [Test]
    public void The_default_run_writes_a_page_with_every_plot_the_verdict_and_one_row_per_tensor()
    {
        var page = Parse(_runPage);
        Assert.That(new FileInfo(_runPage).Length, Is.LessThan(2L << 20), "the default run's page stays under 2 MB");
        Assert.That(page.QuerySelector("#verdict .verdict")?.TextContent, Is.EqualTo("PARITY HOLDS"));
        Assert.That(PlotIds(page), Is.EquivalentTo(new[] { "rms", "mean", "error", "nmse-heatmap" }), "no failing tensor, so no error map");
        Assert.That(page.QuerySelector("#provenance")?.TextContent, Does.Contain("llama.cpp 815a2a5").And.Contain("avx512 library").And.Contain("model sha256").And.Contain("n_layer 4").And.Contain("exact, rule exact-ggml"));

        var csvRows = File.ReadLines(_temp.File("run/report.csv")).Count() - 1;
        Assert.That(page.QuerySelectorAll("#tensors tbody tr"), Has.Length.EqualTo(csvRows), "one table row per tensor of every step");
        Assert.That(page.QuerySelectorAll("table.logits tbody tr"), Has.Length.EqualTo(9), "the prompt step and 8 decode steps");
        Assert.That(page.QuerySelectorAll("#nmse-heatmap rect.cell.failing"), Is.Empty);
        AssertSelfContained(page);
    }

    [Test]
    public void The_bisect_page_of_the_GQA_bug_marks_the_failing_heads_of_the_first_local_failure()
    {
        var page = Parse(_bisectPage);
        Assert.That(page.QuerySelector("#verdict .verdict")?.TextContent, Is.EqualTo("PARITY BROKEN"));
        Assert.That(page.QuerySelector(".bisect-summary")?.TextContent, Does.Contain("local: matmul on kq-0"));
        Assert.That(PlotIds(page), Is.EquivalentTo(new[] { "rms", "mean", "error", "nmse-heatmap", "failure-map" }));
        Assert.That(page.QuerySelector("#failure-map")?.ParentElement?.QuerySelector("h2")?.TextContent, Does.Contain("kq-0"));

        // micro has 4 query heads over 2 KV heads: h % 2 reads the wrong KV head for heads 1 and 2 only.
        var marked = page.QuerySelectorAll("#failure-map rect.marked-row").Select(r => r.GetAttribute("data-row")).ToList();
        Assert.That(marked, Is.EqualTo(new[] { "1", "2" }), _bisect.Pinpoint);
        Assert.That(page.QuerySelectorAll("#failure-map circle.pinpoint"), Has.Length.EqualTo(1));
        Assert.That(page.QuerySelectorAll("#nmse-heatmap rect.cell.failing"), Is.Not.Empty, "failing tensors are outlined");
        Assert.That(page.QuerySelector("#error")?.TextContent, Does.Contain("layer-local").And.Contain("cumulative"));
        var rows = _bisect.Cumulative.Steps.Sum(s => s.Tensors.Count);
        Assert.That(page.QuerySelectorAll("#tensors tbody tr"), Has.Length.EqualTo(rows));
        AssertSelfContained(page);
    }

    [Test]
    public async Task Headless_chromium_renders_every_plot_with_no_console_error_and_no_network_request()
    {
        var chromium = HeadlessChromium.Find() ?? throw new IgnoreException("chromium is not installed (Debian: apt-get install chromium); the pages' structure is still checked with AngleSharp");
        foreach (var (page, lastStep) in new[] { (_runPage, "8"), (_bisectPage, "2") })
        {
            var probe = await HeadlessChromium.ProbeAsync(chromium, page, _temp.File(Path.GetFileName(Path.GetDirectoryName(page)!) + "-probed.html"));
            Assert.That(probe.Errors, Is.Empty, page);
            Assert.That(probe.Resources, Is.Empty, $"{page}: the page loads nothing");
            Assert.That(probe.Plots.Select(p => p.Id), Is.EquivalentTo(PlotIds(Parse(page))), page);
            foreach (var plot in probe.Plots)
            {
                Assert.That(plot.Width * plot.Height, Is.GreaterThan(10_000), $"{page} #{plot.Id} has an area");
                Assert.That(plot.Drawn, Is.GreaterThan(10), $"{page} #{plot.Id} draws its elements");
            }

            Assert.That(probe.FirstStepAfterSorting, Is.EqualTo(lastStep), $"{page}: sorting the table by step twice puts the last step first");
        }
    }

    private static IDocument Parse(string path) => new HtmlParser().ParseDocument(File.ReadAllText(path));

    private static List<string> PlotIds(IDocument page) => page.QuerySelectorAll("figure.plot").Where(f => f.QuerySelector("svg") is not null).Select(f => f.Id!).ToList();

    /// <summary>No external script, style, font or image: every reference is inside the page or a data: URI.</summary>
    private static void AssertSelfContained(IDocument page)
    {
        Assert.That(page.QuerySelectorAll("link, iframe, object, embed, img[src]"), Is.Empty);
        Assert.That(page.QuerySelectorAll("script").Select(s => s.GetAttribute("src")), Has.All.Null);
        var references = page.All.SelectMany(e => e.Attributes).Where(a => a.LocalName is "href" or "src" or "xlink:href").Select(a => a.Value);
        Assert.That(references, Has.All.StartsWith("#").Or.StartsWith("data:"));
        Assert.That(page.Head?.InnerHtml, Does.Not.Contain("@import").And.Not.Contain("url("));
    }
}
