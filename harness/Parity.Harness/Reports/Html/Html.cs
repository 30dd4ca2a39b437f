using System.Globalization;
using System.Net;

namespace Parity.Harness.Reports.Html;

/// <summary>Escaping and number formats shared by the HTML report's parts.</summary>
internal static class Html
{
    public static string Text(string? s) => WebUtility.HtmlEncode(s ?? string.Empty);

    /// <summary>A number as the tables show it: three significant digits, invariant, "-" for none.</summary>
    public static string Number(double? v) => v switch
    {
        null => "-",
        { } d when double.IsNaN(d) => "NaN",
        { } d => d.ToString("G3", CultureInfo.InvariantCulture),
    };

    public static string Number(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";

    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
