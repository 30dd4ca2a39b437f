using Parity.Harness.Compare;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// Dumps that differ only by a known layout mistake: the diff must name the mistake. A dump of the engine (micro, F32)
/// is the reference; a hand-edited copy carries the mistake.
/// </summary>
[TestFixture]
public sealed class LayoutMistakeTests
{
    private TempDirectory _temp = null!;
    private string _reference = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        var model = Models.Synthetic(SyntheticPresets.Micro);
        _reference = Parity.Harness.Engine.EngineDumper.Dump(
            new DumpRequest { ModelPath = model, OutputDirectory = _temp.File("reference"), Tokens = [1, 300, 301, 302, 303], Decode = new LlamaCppDecodeOptions { CacheTypeK = "f32", CacheTypeV = "f32" } },
            [1, 300, 301, 302, 303]).RunDirectory;
    }

    [OneTimeTearDown]
    public void TearDown() => _temp.Dispose();

    [Test]
    public void Rope_neox_pairing_is_named()
    {
        // Rotate Qcur-1's pre-RoPE input with NEOX pairs instead of NORM pairs.
        var broken = DumpEditor.Rewrite(_reference, _temp.File("neox"), (step, e, values, dump) =>
        {
            if (e.Key != "Qcur-1#2")
            {
                return null;
            }

            var input = dump.ToFloat32Array(dump.Get("Qcur-1#1"));
            return RotateNeox(input, (int)e.Ne[1], (int)e.Ne[0], dump.Manifest.Positions);
        });
        var failure = FirstFailure(broken);
        Assert.That(failure.Key, Is.EqualTo("Qcur-1#2"));
        Assert.That(failure.Note, Does.Contain("RoPE NEOX pairing"));
    }

    [Test]
    public void A_head_permutation_is_named()
    {
        var broken = DumpEditor.Rewrite(_reference, _temp.File("heads"), (step, e, values, dump) =>
        {
            if (e.Key != "Kcur-0#1")
            {
                return null;
            }

            // [head_dim, n_head_kv, n_tokens]: swap the two KV heads of every token
            var (hd, heads) = ((int)e.Ne[0], (int)e.Ne[1]);
            var swapped = (float[])values.Clone();
            for (var t = 0; t < e.Ne[2]; t++)
            {
                values.AsSpan(((t * heads) + 0) * hd, hd).CopyTo(swapped.AsSpan(((t * heads) + 1) * hd, hd));
                values.AsSpan(((t * heads) + 1) * hd, hd).CopyTo(swapped.AsSpan(((t * heads) + 0) * hd, hd));
            }

            return swapped;
        });
        var failure = FirstFailure(broken);
        Assert.That(failure.Key, Is.EqualTo("Kcur-0#1"));
        Assert.That(failure.Note, Does.Contain("head permutation"));
    }

    [Test]
    public void A_transposed_tensor_is_named()
    {
        var broken = DumpEditor.Rewrite(_reference, _temp.File("transposed"), (step, e, values, dump) =>
        {
            if (e.Key != "ffn_norm-1")
            {
                return null;
            }

            var (x, y) = ((int)e.Ne[0], (int)e.Ne[1]);
            var t = new float[values.Length];
            for (var i1 = 0; i1 < y; i1++)
            {
                for (var i0 = 0; i0 < x; i0++)
                {
                    t[(i0 * y) + i1] = values[(i1 * x) + i0];
                }
            }

            return t;
        });
        var failure = FirstFailure(broken);
        Assert.That(failure.Key, Is.EqualTo("ffn_norm-1"));
        Assert.That(failure.Note, Does.Contain("transpose"));
    }

    [Test]
    public void A_dump_against_itself_holds_exactly()
    {
        var diff = new DumpDiffer(TolerancePolicy.Load(TolerancePolicy.DefaultPath)).Diff(_reference, _reference);
        Assert.That(diff.Passed, Is.True);
        Assert.That(diff.Steps[0].Tensors.Where(t => t.Metrics is not null).All(t => t.Metrics!.Nmse == 0), Is.True);
    }

    private TensorDiff FirstFailure(string broken)
    {
        var diff = new DumpDiffer(TolerancePolicy.Load(TolerancePolicy.DefaultPath)).Diff(broken, _reference);
        Assert.That(diff.Passed, Is.False);
        return diff.FirstFailure!.Value.Tensor;
    }

    private static float[] RotateNeox(float[] x, int heads, int hd, IReadOnlyList<int> positions)
    {
        var r = (float[])x.Clone();
        var scale = MathF.Pow(10000f, -2.0f / hd);
        for (var t = 0; t < positions.Count; t++)
        {
            for (var h = 0; h < heads; h++)
            {
                var head = r.AsSpan(((t * heads) + h) * hd, hd);
                var theta = (float)positions[t];
                for (var i = 0; i < hd / 2; i++)
                {
                    var (a, b) = (i, i + (hd / 2));
                    var (x0, x1) = (head[a], head[b]);
                    head[a] = (x0 * MathF.Cos(theta)) - (x1 * MathF.Sin(theta));
                    head[b] = (x0 * MathF.Sin(theta)) + (x1 * MathF.Cos(theta));
                    theta *= scale;
                }
            }
        }

        return r;
    }
}
