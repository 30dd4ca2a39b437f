using System.Globalization;
using System.Xml.Linq;
using Parity.Harness.Suites;

namespace Parity.Harness.Reports;

/// <summary>
/// A suite check as JUnit XML, the format CI systems read: one testsuite per suite, one testcase per case (a live
/// recheck is its own case), the failing tensor and its tolerance or regime in the failure message.
/// </summary>
public static class JunitReport
{
    public static XDocument Render(string suite, IReadOnlyList<CaseResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        int Count(CaseVerdict v) => results.Count(r => r.Verdict == v);
        var seconds = results.Sum(r => r.Elapsed.TotalSeconds);
        var testsuite = new XElement("testsuite",
            new XAttribute("name", suite),
            new XAttribute("tests", results.Count),
            new XAttribute("failures", Count(CaseVerdict.Failed)),
            new XAttribute("errors", Count(CaseVerdict.Error)),
            new XAttribute("skipped", Count(CaseVerdict.Skipped)),
            new XAttribute("time", Seconds(seconds)),
            results.Select(r => Case(suite, r)));
        return new XDocument(
            new XDeclaration("1.0", "utf-8", null),
            new XElement("testsuites",
                new XAttribute("name", "parity check"),
                new XAttribute("tests", results.Count),
                new XAttribute("failures", Count(CaseVerdict.Failed)),
                new XAttribute("errors", Count(CaseVerdict.Error)),
                new XAttribute("skipped", Count(CaseVerdict.Skipped)),
                new XAttribute("time", Seconds(seconds)),
                testsuite));
    }

    public static void Write(string suite, IReadOnlyList<CaseResult> results, string path)
    {
        var document = Render(suite, results);
        DiffReportFiles.WriteText(path, document.Declaration + "\n" + document.Root);
    }

    private static XElement Case(string suite, CaseResult r)
    {
        var element = new XElement("testcase",
            new XAttribute("name", r.Case),
            new XAttribute("classname", $"parity.{suite}"),
            new XAttribute("time", Seconds(r.Elapsed.TotalSeconds)));
        var details = string.Join('\n', r.Details);
        switch (r.Verdict)
        {
            case CaseVerdict.Failed:
                element.Add(new XElement("failure", new XAttribute("message", SuiteCaseMessage.Of(r)), new XAttribute("type", "parity broken"), details));
                break;
            case CaseVerdict.Error:
                element.Add(new XElement("error", new XAttribute("message", r.Summary), new XAttribute("type", "bad input"), details));
                break;
            case CaseVerdict.Skipped:
                element.Add(new XElement("skipped", new XAttribute("message", r.Summary)));
                break;
            default:
                element.Add(new XElement("system-out", r.Summary));
                break;
        }

        return element;
    }

    private static string Seconds(double s) => s.ToString("F3", CultureInfo.InvariantCulture);
}
