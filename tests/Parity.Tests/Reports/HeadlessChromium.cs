using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace Parity.Tests.Reports;

/// <summary>
/// Opens a page in headless Chromium with a probe around it (a copy of the page; the report itself carries no test
/// code): console errors and uncaught exceptions are collected from the first script on, and after the page's own
/// script ran, the probe records every resource the page loaded, each plot's rendered size and drawn elements, and sorts
/// the tensor table by its first column twice. <c>--dump-dom</c> prints the result with the DOM.
/// </summary>
internal static class HeadlessChromium
{
    private const string ErrorHook = """
        <script>window.__probeErrors=[];(function(){var e=console.error,w=console.warn;
        console.error=function(){__probeErrors.push('console.error: '+Array.prototype.join.call(arguments,' '));e.apply(console,arguments);};
        console.warn=function(){__probeErrors.push('console.warn: '+Array.prototype.join.call(arguments,' '));w.apply(console,arguments);};
        window.addEventListener('error',function(ev){__probeErrors.push('uncaught: '+ev.message);});})();</script>
        """;

    private const string Probe = """
        <script>(function(){
        var plots=[].map.call(document.querySelectorAll('figure.plot'),function(f){var s=f.querySelector('svg'),r=s.getBoundingClientRect();
          return {id:f.id,width:r.width,height:r.height,drawn:s.querySelectorAll('path,rect,circle,ellipse,line,polyline,image,text').length};});
        var t=document.querySelector('table.tensors'),th=t.querySelector('th');th.click();th.click();
        var out={errors:__probeErrors,resources:performance.getEntriesByType('resource').map(function(e){return e.name;}),plots:plots,
          firstStepAfterSorting:t.tBodies[0].rows[0].cells[0].textContent};
        var pre=document.createElement('pre');pre.id='probe';pre.textContent=JSON.stringify(out);document.body.appendChild(pre);})();</script>
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public sealed record Plot(string Id, double Width, double Height, int Drawn);

    public sealed record Result(List<string> Errors, List<string> Resources, List<Plot> Plots, string FirstStepAfterSorting);

    public static string? Find() =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    public static async Task<Result> ProbeAsync(string chromium, string page, string probedCopy)
    {
        var html = File.ReadAllText(page);
        var head = html.IndexOf("<head>", StringComparison.Ordinal) + "<head>".Length;
        var end = html.LastIndexOf("</body>", StringComparison.Ordinal);
        File.WriteAllText(probedCopy, html[..head] + ErrorHook + html[head..end] + Probe + html[end..]);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = await CliWrap.Cli.Wrap(chromium)
            .WithArguments(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=5000", "--dump-dom", new Uri(probedCopy).AbsoluteUri])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(timeout.Token);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.StandardError);
        var dom = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(run.StandardOutput);
        var json = dom.QuerySelector("#probe")?.TextContent ?? throw new AssertionException($"the probe did not run in {page}:\n{run.StandardError}");
        return JsonSerializer.Deserialize<Result>(json, Json)!;
    }
}
