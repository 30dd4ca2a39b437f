using System.Diagnostics;
using Parity.Cli;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// scripts/python/parity_dump.py, the writer a Python engine (transformers hooks, a numpy port) dumps with: a dump it
/// writes with transformers-style names diffs cleanly against llama.cpp's through a name map of two pattern rules.
/// The values are the engine's, read back from its own dump by the script, so the comparison must hold.
/// </summary>
[TestFixture]
public sealed class PythonWriterTests
{
    private const string Copy = """
        import json, struct, sys
        sys.path.insert(0, sys.argv[4])
        from parity_dump import DumpWriter

        src, dst, model = sys.argv[1:4]

        def rename(name):
            stem, _, layer = name.rpartition("-")
            return "model.layers.%s.%s" % (layer, stem) if stem and layer.isdigit() else "model." + name

        run = json.load(open(src + "/run.json"))
        with DumpWriter(dst, model, run["prompt"]["tokens"], producer="torch-hooks 1.0", options=run["options"]) as w:
            for name in run["steps"]:
                m = json.load(open("%s/%s/manifest.json" % (src, name)))
                data = open("%s/%s/tensors.safetensors" % (src, name), "rb").read()
                base = 8 + struct.unpack("<Q", data[:8])[0]
                with w.step(m["step"], m["tokens"], m["positions"], m["generatedTokens"]) as s:
                    for e in m["tensors"]:
                        s.add(rename(e["name"]), e["op"], data[base + e["byteOffset"]:base + e["byteOffset"] + e["byteLength"]], e["ne"])
            w.complete(run["generatedTokens"])
        """;

    [Test]
    public void A_dump_written_by_the_python_writer_with_transformers_names_diffs_cleanly_through_a_name_map()
    {
        if (!Python.Available)
        {
            Assert.Ignore("python3 is not on PATH; the writer needs only its standard library");
        }

        using var temp = new TempDirectory();
        var (model, reference, engine) = MicroDumps.Make(temp, steps: 1);
        File.WriteAllText(temp.File("copy.py"), Copy);
        var scripts = Path.Combine(RepoRoot.Find(), "scripts", "python");
        var (code, output) = Python.Run(temp.File("copy.py"), engine, temp.File("python"), model, scripts);
        Assert.That(code, Is.Zero, output);
        Assert.That(Directory.EnumerateDirectories(temp.Path, "python.tmp-*"), Is.Empty, "the writer renamed its run into place");

        File.WriteAllText(temp.File("map.json"), """
            { "formatVersion": 1, "rules": [
              { "pattern": "model\\.layers\\.(\\d+)\\.(.+)", "key": "$2-$1" },
              { "pattern": "model\\.(.+)", "key": "$1" }
            ] }
            """);
        var (diff, stdout, stderr) = ParityCli.Run("diff", temp.File("python"), reference, "--name-map", temp.File("map.json"), "--out", temp.File("report"));
        Assert.That(diff, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS").And.Contain("weights F32"));
    }

    private static class Python
    {
        public static bool Available => Run("-c", "pass").Code == 0;

        public static (int Code, string Output) Run(params string[] args)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo("python3", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEnd();
                process.WaitForExit();
                return (process.ExitCode, stdout.Result + stderr);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return (-1, e.Message);
            }
        }
    }
}
