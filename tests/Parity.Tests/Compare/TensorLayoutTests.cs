using Parity.Cli;
using Parity.Harness.Compare;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// Layout declarations in a name map: a candidate that keeps heads before tokens and RoPE pairs in transformers'
/// rotate_half order is compared in llama.cpp's layout once its map says so, and the declaration inverts exactly (for
/// teacher forcing).
/// </summary>
[TestFixture]
public sealed class TensorLayoutTests
{
    [Test]
    public void A_permutation_moves_each_axis_where_the_declaration_says()
    {
        // ne [2, 3, 2]: value = i0 + 2 i1 + 6 i2. Permute [0, 2, 1]: result axis 1 is the candidate's axis 2.
        var values = Enumerable.Range(0, 12).Select(v => (float)v).ToArray();
        var (result, ne) = new TensorLayout([0, 2, 1], null, null).Apply(values, [2, 3, 2], "test");
        Assert.That(ne, Is.EqualTo(new long[] { 2, 2, 3 }));
        for (var i2 = 0; i2 < 3; i2++)
        {
            for (var i1 = 0; i1 < 2; i1++)
            {
                for (var i0 = 0; i0 < 2; i0++)
                {
                    Assert.That(result[i0 + (2 * i1) + (4 * i2)], Is.EqualTo(i0 + (2 * i2) + (6 * i1)));
                }
            }
        }
    }

    [Test]
    public void Neox_pairing_interleaves_each_rows_halves()
    {
        var (result, _) = new TensorLayout(null, null, "neox").Apply([1, 2, 3, 4, 5, 6, 7, 8], [4, 2], "test");
        Assert.That(result, Is.EqualTo(new float[] { 1, 3, 2, 4, 5, 7, 6, 8 }));
    }

    [TestCase(new[] { 0, 2, 1 }, null, "neox")]
    [TestCase(new[] { 1, 0, 2 }, null, null)]
    [TestCase(null, new long[] { 6, 4 }, null)]
    [TestCase(new[] { 2, 0, 1 }, new long[] { 24 }, null)]
    public void The_inverse_takes_llama_cpps_layout_back_to_the_candidates(int[]? permute, long[]? reshape, string? pairing)
    {
        var layout = new TensorLayout(permute, reshape, pairing);
        var candidate = Enumerable.Range(0, 24).Select(v => (float)(v * 3 % 17)).ToArray();
        long[] ne = [2, 3, 4];
        var (ours, _) = layout.Apply(candidate, ne, "test");
        Assert.That(layout.Invert(ours, ne, "test"), Is.EqualTo(candidate));
    }

    [TestCase("""{ "permute": [0, 0, 1] }""", "layout.permute [0, 0, 1]: expected each axis 0..2 once")]
    [TestCase("""{ "ne": [4, 0] }""", "layout.ne [4, 0]: expected dimensions of 1 or more")]
    [TestCase("""{ "pairing": "norm" }""", "layout.pairing: expected \"neox\"")]
    [TestCase("""{ "permute": "0,1" }""", "layout.permute: expected an array of 1 to 4 integers")]
    [TestCase("""[]""", "layout: expected an object")]
    public void A_bad_declaration_names_the_rule_and_the_member(string layout, string said)
    {
        using var temp = new TempDirectory();
        var path = temp.Write("map.json", System.Text.Encoding.UTF8.GetBytes($$"""{ "formatVersion": 1, "rules": [ { "pattern": "q", "key": "Qcur-0", "layout": {{layout}} } ] }"""));
        var e = Assert.Throws<InvalidDataException>(() => NameMap.Load(path));
        Assert.That(e!.Message, Does.StartWith(path + ": rules[0]."));
        Assert.That(e.Message, Does.Contain(said));
    }

    [Test]
    public void A_candidate_with_heads_before_tokens_and_neox_pairs_holds_once_its_map_declares_them()
    {
        using var temp = new TempDirectory();
        var (_, reference, engine) = MicroDumps.Make(temp, steps: 0);

        // The roped Q of layer 0 ([head_dim 64, n_head 4, n_tokens 4] in llama.cpp) as transformers keeps it: tokens
        // inside heads, and each head's pairs as (i, i + 32).
        var candidate = DumpEditor.Rewrite(engine, temp.File("foreign"), (_, e, v, _) => e.Key == "Qcur-0#2" ? TransformersLayout(v, 64, 4, 4) : null, rename: e => MicroDumps.ForeignName(e.Name));
        string Map(string name, string layout) => temp.Write(name, System.Text.Encoding.UTF8.GetBytes($$"""
            { "formatVersion": 1, "rules": [
              { "pattern": "model\\.layers\\.0\\.Qcur", "occurrence": 2, "key": "Qcur-0"{{layout}} },
              { "pattern": "model\\.layers\\.(\\d+)\\.(.+)", "key": "$2-$1" },
              { "pattern": "model\\.(.+)", "key": "$1" }
            ] }
            """));

        var (plain, plainOut, _) = ParityCli.Run("diff", candidate, reference, "--name-map", Map("plain.json", string.Empty), "--out", temp.File("r-plain"));
        Assert.That(plain, Is.EqualTo(ExitCodes.ParityBroken), plainOut);
        Assert.That(plainOut, Does.Contain("Qcur-0#2"));

        var (code, stdout, stderr) = ParityCli.Run("diff", candidate, reference, "--name-map", Map("declared.json", """, "layout": { "permute": [0, 2, 1], "pairing": "neox" }"""), "--out", temp.File("r-declared"));
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS"));
    }

    // llama.cpp's [d, heads, tokens] as [d, tokens, heads] with every row's (2i, 2i+1) pairs moved to (i, i + d/2).
    private static float[] TransformersLayout(float[] v, int d, int heads, int tokens)
    {
        var result = new float[v.Length];
        for (var t = 0; t < tokens; t++)
        {
            for (var h = 0; h < heads; h++)
            {
                for (var i = 0; i < d / 2; i++)
                {
                    var from = ((t * heads) + h) * d;
                    var to = ((h * tokens) + t) * d;
                    result[to + i] = v[from + (2 * i)];
                    result[to + i + (d / 2)] = v[from + (2 * i) + 1];
                }
            }
        }

        return result;
    }
}
