using System.Text;

namespace Parity.Harness.Reports.Html;

/// <summary>
/// The page around the sections: inline style and one small inline script (sorting a table by a clicked header), so the
/// file is whole on its own: no network, no external script or font, readable offline and attachable to a CI run.
/// </summary>
internal static class HtmlPage
{
    private const string Style = """
        body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1400px}
        h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
        .verdict{font-weight:bold;padding:.4em .8em;display:inline-block;border-radius:4px}
        .holds{background:#dff0d8;color:#2b662b}.broken{background:#f8d7da;color:#8a1c25}
        table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
        th{background:#f4f4f4}table.sortable th{cursor:pointer}td.num{text-align:right;font-variant-numeric:tabular-nums}
        tr.fail td{background:#fdecea}dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:13px}
        dl.kv dt{font-weight:bold}dl.kv dd{margin:0;word-break:break-all}figure{margin:1em 0}figcaption{font-size:12px;color:#555;max-width:900px}
        .plots{display:flex;flex-wrap:wrap;gap:1em}.tok{font-family:monospace}.shared{font-weight:bold}
        """;

    // Sorts by the clicked column: numbers (data-v, or the cell text) numerically, text alphabetically; a second
    // click reverses. Empty cells sort last.
    private const string Script = """
        document.querySelectorAll('table.sortable').forEach(function(t){
          t.querySelectorAll('th').forEach(function(th,i){
            th.addEventListener('click',function(){
              var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),num=th.dataset.type==='num';
              var dir=th.dataset.dir==='asc'?-1:1;th.dataset.dir=dir===1?'asc':'desc';
              function key(r){var c=r.cells[i],v=c.dataset.v!==undefined?c.dataset.v:c.textContent;
                if(!num)return v;var f=parseFloat(v);return isNaN(f)?-Infinity:f;}
              rows.sort(function(a,b){var x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*dir;});
              rows.forEach(function(r){body.appendChild(r);});
            });
          });
        });
        """;

    public static string Render(string title, string body)
    {
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        page.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        page.Append("<title>").Append(Html.Text(title)).Append("</title><style>").Append(Style).Append("</style></head><body>\n");
        page.Append(body);
        page.Append("\n<script>").Append(Script).Append("</script></body></html>\n");
        return page.ToString();
    }
}
