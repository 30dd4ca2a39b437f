using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parity.Harness.Compare;

namespace Parity.Harness.Suites;

/// <summary>
/// The tolerance snapshot of one case: how far the engine is from the golden, tensor by tensor, with NMSE and max-abs
/// rounded to one significant digit (a stable bucket: a real change of exactness moves it, run-to-run noise cannot,
/// since the engine is deterministic). One line per tensor, so a review diff reads as "which tensors got better or
/// worse". Written with Verify's conventions: <c>CASE.verified.json</c> committed, <c>CASE.received.json</c> on a
/// mismatch, <c>parity accept</c> to promote.
/// </summary>
public static class ErrorProfile
{
    public static string Render(string caseName, RunDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("case", caseName);
            json.WriteString("weights", diff.WeightType);
            json.WriteString("numerics", diff.Numerics);
            json.WriteString("kvCache", diff.KvCache);
            json.WriteString("verdict", diff.Passed ? "pass" : "FAIL");
            json.WritePropertyName("tensors");
            json.WriteStartObject();
            foreach (var step in diff.Steps)
            {
                foreach (var t in step.Tensors.Where(t => t.Status != TensorStatus.NotCompared))
                {
                    json.WriteString(string.Create(CultureInfo.InvariantCulture, $"step {step.Step} {t.Key}"), Line(t));
                }
            }

            json.WriteEndObject();
            json.WritePropertyName("logits");
            json.WriteStartObject();
            foreach (var step in diff.Steps)
            {
                foreach (var l in step.Logits)
                {
                    json.WriteString(
                        string.Create(CultureInfo.InvariantCulture, $"step {step.Step} position {l.Position}"),
                        string.Create(CultureInfo.InvariantCulture, $"top1 {(l.Top1Agrees ? "agrees" : $"DIFFERS ({l.TopA} vs {l.TopB})")}, top5 overlap {l.Top5Overlap}, kl {Bucket(l.KlDivergence)}"));
                }
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>One significant digit: 2.4e-11 → "2e-11"; 0 → "0".</summary>
    public static string Bucket(double value) =>
        value == 0 ? "0"
        : double.IsNaN(value) ? "NaN"
        : double.IsInfinity(value) ? (value > 0 ? "inf" : "-inf")
        : value.ToString("0e+00", CultureInfo.InvariantCulture);

    private static string Line(TensorDiff t) => t.Status switch
    {
        TensorStatus.Passed => Metrics(t),
        TensorStatus.Failed => "FAILED " + Metrics(t) + $" (bound {t.Rule?.Bound})",
        TensorStatus.Differs => "DIFFERS " + Metrics(t) + (t.Metrics is { } m ? $", {m.DifferingValues} value(s), max {m.MaxUlp} ulp" : string.Empty),
        TensorStatus.NonFinite => "NON-FINITE " + t.Note,
        TensorStatus.ShapeMismatch => "SHAPE MISMATCH " + t.Note,
        TensorStatus.OpMismatch => "OP MISMATCH " + t.Note,
        TensorStatus.OnlyInA => "only in the engine's dump",
        TensorStatus.OnlyInB => "only in the golden",
        _ => t.Status.ToString(),
    };

    private static string Metrics(TensorDiff t) =>
        t.Metrics is { } m ? $"nmse {Bucket(m.Nmse)}, maxabs {Bucket(m.MaxAbsError)}" : t.Note ?? "no metrics";
}
