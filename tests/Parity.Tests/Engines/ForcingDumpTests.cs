using Parity.Dump;
using Parity.Harness.Bisect;
using Parity.Harness.Compare;
using Parity.Harness.Graph;
using Parity.Tests.Support;

namespace Parity.Tests.Engines;

/// <summary>
/// Teacher forcing for an engine with names of its own: llama.cpp's values written under the engine's names and shapes
/// (padded KV columns trimmed), every engine tensor kept in its order so occurrences keep their numbers, and only the
/// selected keys marked to force.
/// </summary>
[TestFixture]
public sealed class ForcingDumpTests
{
    private TempDirectory _temp = null!;
    private DumpRun _reference = null!;
    private DumpRun _foreign = null!;
    private NameMap _names = null!;

    [OneTimeSetUp]
    public void MakeDumps()
    {
        _temp = new TempDirectory();
        var (_, reference, engine) = MicroDumps.Make(_temp, steps: 1);
        _reference = DumpRun.Open(reference);
        _foreign = DumpRun.Open(DumpEditor.Rewrite(engine, _temp.File("foreign"), (_, _, _, _) => null, rename: e => MicroDumps.ForeignName(e.Name)));
        var map = _temp.Write("map.json", """
            { "formatVersion": 1, "rules": [
              { "pattern": "model\\.layers\\.(\\d+)\\.(.+)", "key": "$2-$1" },
              { "pattern": "model\\.(.+)", "key": "$1" }
            ] }
            """u8.ToArray());
        _names = NameMap.Load(map);
    }

    [OneTimeTearDown]
    public void Clean() => _temp.Dispose();

    [Test]
    public void Every_paired_tensor_carries_llama_cpps_values_under_the_engines_name()
    {
        var (run, forced) = ForcingDump.Write(_reference, _foreign, _names, GraphDescriptors.For("llama"), _ => true, _temp.File("forcing-all"));
        Assert.That(run.StepCount, Is.EqualTo(_foreign.StepCount));
        for (var i = 0; i < run.StepCount; i++)
        {
            using var forcing = run.OpenStep(i);
            using var own = _foreign.OpenStep(i);
            using var theirs = _reference.OpenStep(i);
            Assert.That(forcing.Tensors.Select(e => e.Key), Is.EqualTo(own.Tensors.Select(e => e.Key)), "the engine's tensors, in its order");
            var checkedKq = false;
            foreach (var e in forcing.Tensors.Where(e => e.DType == DumpDType.F32))
            {
                var key = _names.KeyFor(e);
                if (!theirs.TryGet(key, out var r))
                {
                    continue;
                }

                Assert.That(forced, Does.Contain(e.Key), $"{e.Key} pairs with {key}");
                var values = forcing.ToFloat32Array(e);
                var reference = theirs.ToFloat32Array(r);
                if (r.Ne[0] == e.Ne[0])
                {
                    Assert.That(values, Is.EqualTo(reference), $"{e.Key} holds {key}'s values");
                    continue;
                }

                // kq / kq_soft_max: llama.cpp's rows are padded past the attended cells; the engine's are not.
                var kept = (int)e.Ne[0];
                Assert.That(values[..kept], Is.EqualTo(reference[..kept]), $"{e.Key}: the first row's attended columns");
                checkedKq = true;
            }

            Assert.That(checkedKq, Is.True, $"step {i} has a padded attention tensor to trim");
        }
    }

    [Test]
    public void Only_the_selected_llama_cpp_keys_are_marked_to_force()
    {
        var graph = GraphDescriptors.For("llama");
        var (_, forced) = ForcingDump.Write(_reference, _foreign, _names, graph, graph.IsResidual, _temp.File("forcing-residual"));
        Assert.That(forced, Is.EquivalentTo(new[] { "model.embd", "model.layers.0.l_out", "model.layers.1.l_out" }));
    }
}
