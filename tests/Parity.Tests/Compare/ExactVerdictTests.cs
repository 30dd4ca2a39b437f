using Parity.Engine.Kernels;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// The exact regime: in ggml numerics against the llama.cpp build the engine reproduces, the verdict is bit-identity,
/// so bugs that only move the last bits (the RMSNorm epsilon outside the square root, SwiGLU's multiplications in
/// another order) break parity and bisect calls them local. The bugs are planted from here in a test-defined llama unit
/// (<see cref="PlantedBug"/>): each rewrites one op's output from the inputs it saw, as the buggy code would have
/// computed it; the verdict is <c>parity diff</c>'s on the two dumps.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ExactVerdictTests
{
    private static readonly string[] Case = ["--preset", "tinyllama-mini", "--quant", "Q4_K_M", "--prompt", "Once upon a time there was", "--steps", "2"];

    [TestCase("rms-eps-outside-sqrt", "norm-0", "RMS_NORM", "RMSNorm")]
    [TestCase("swiglu-rounding", "ffn_swiglu-1", "SWIGLU", "SwiGLU")]
    [TestCase("residual-dropped", "l_out-1", "ADD", "residual add")]
    public async Task A_planted_bug_breaks_parity_naming_its_tensor_and_bisect_calls_it_local(string bug, string tensor, string op, string described)
    {
        using var temp = new TempDirectory();
        var runs = new PlantedRuns(await Models.Quantized(Parity.Harness.Synthetic.SyntheticPresets.TinyLlamaMini, "Q4_K_M"), temp.Path);
        var reference = await runs.ReferenceAsync("Once upon a time there was", steps: 2);
        var planted = PlantedBug.Rewriting(Plant(bug));
        var engine = runs.Engine(reference, planted);

        var (code, stdout, stderr) = ParityCli.Run("diff", engine, reference.Directory, "--out", temp.File("diff"));
        Assert.That(code, Is.EqualTo(1), stdout + stderr);
        Assert.That(stdout, Does.Contain($"first non-identical tensor: step 0 {tensor} ({op})").And.Contain("values differ, at most").And.Contain("inputs identical"), stdout);
        Assert.That(stdout, Does.Contain("judged by: exact, rule exact-ggml"));

        var bisect = runs.Bisect(reference, planted);
        Assert.That(bisect.Summary, Does.StartWith($"local: {described} on {tensor} (step 0"), bisect.Summary);
        Assert.That(bisect.Summary, Does.Contain("values differ"), "the local test in the exact regime is identity on llama.cpp's inputs");
    }

    [Test]
    public void The_clean_engine_is_judged_bit_identical_and_says_so()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run(["run", .. Case, "--out", temp.Path]);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("judged by: exact, rule exact-ggml").And.Contain("PARITY HOLDS: every compared tensor is bit-identical"));
    }

    [Test]
    public void F32_numerics_are_judged_by_tolerance_and_say_which_rule()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run(["run", .. Case, "--numerics", "f32", "--out", temp.Path]);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("judged by: tolerance, rule kquants-f32numerics").And.Contain("within its tolerance"));
    }

    [TestCase("Q4_K_M")]
    [TestCase("F16")]
    public void The_avx2_library_is_judged_exact_and_the_engine_follows_it_bit_for_bit(string quant)
    {
        // The AVX2 build differs from the AVX-512 one in its float dots, tinyBLAS lanes and expf (kq, kq_soft_max and
        // ffn_swiglu for the block types, Qcur-0 already for F16): the engine follows the library the dump names.
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--variant", "avx2", "--preset", "tinyllama-mini", "--quant", quant, "--prompt", "Once upon a time there was", "--steps", "4", "--out", temp.Path);
        Assert.That(code, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Contain("judged by: exact, rule exact-ggml").And.Contain("PARITY HOLDS: every compared tensor is bit-identical").And.Contain("the greedy tokens agree at every step"));
        var notes = Parity.Dump.DumpRun.Open(Path.Combine(temp.Path, "engine")).Manifest.Notes!;
        Assert.That(notes["exactFor"], Does.EndWith(" avx2"), "the engine's dump claims the variant it followed");
    }

    [Test]
    public void A_configuration_the_engine_does_not_reproduce_against_a_variant_is_refused_by_name_unless_inexact_is_allowed()
    {
        using var temp = new TempDirectory();
        var (code, _, stderr) = ParityCli.Run("run", "--variant", "noavx", "--flash-attn", "on", "--preset", "micro", "--quant", "Q8_0", "--out", temp.File("refused"));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("flash attention against llama.cpp's noavx library").And.Contain("--allow-inexact"));
        Assert.That(Directory.Exists(Path.Combine(temp.File("refused"), "llama.cpp")), Is.False, "refused before llama.cpp runs");

        var (allowed, stdout, stderr2) = ParityCli.Run("run", "--variant", "noavx", "--flash-attn", "on", "--allow-inexact", "--preset", "micro", "--quant", "Q8_0", "--out", temp.File("allowed"));
        Assert.That(allowed, Is.Zero.Or.EqualTo(1), stdout + stderr2);
        Assert.That(stdout, Does.Contain("judged by: tolerance"));
        Assert.That(Parity.Dump.DumpRun.Open(Path.Combine(temp.File("allowed"), "engine")).Manifest.Notes!.ContainsKey("exactFor"), Is.False, "the engine claims no exactness it does not have");
    }

    [Test]
    public void Diff_refuses_an_exact_candidate_against_another_variant_unless_inexact_is_allowed()
    {
        using var temp = new TempDirectory();
        var model = Models.Synthetic(Parity.Harness.Synthetic.SyntheticPresets.Micro);
        Assert.That(ParityCli.Run("dump", "--side", "llama.cpp", "--variant", "avx2", "--model", model, "--tokens", "1,5,9", "--out", temp.File("ref")).Code, Is.Zero);
        Assert.That(ParityCli.Run("dump", "--side", "engine", "--model", model, "--tokens", "1,5,9", "--out", temp.File("eng")).Code, Is.Zero);
        var (code, _, stderr) = ParityCli.Run("diff", temp.File("eng"), temp.File("ref"), "--out", temp.Path);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("avx2").And.Contain("--allow-inexact"));
        var (allowed, stdout, _) = ParityCli.Run("diff", temp.File("eng"), temp.File("ref"), "--out", temp.Path, "--allow-inexact");
        Assert.That(allowed, Is.Zero.Or.EqualTo(1));
        Assert.That(stdout, Does.Contain("judged by: tolerance"));
    }

    /// <summary>One planted bug as a mutation: (name, op, data, ne) in the engine's graph order.</summary>
    private static PlantedBug.Mutation Plant(string bug)
    {
        float[]? residual = null, gate = null, up = null, ffnOut = null;
        return (name, op, data, ne) =>
        {
            switch (bug)
            {
                case "rms-eps-outside-sqrt" when op == "RMS_NORM" && residual is not null:
                    NormWithEpsOutsideSqrt(residual, data, (int)ne[0], 1e-5f);
                    break;
                case "swiglu-rounding" when name == "ffn_swiglu-1":
                    for (var i = 0; i < data.Length; i++)
                    {
                        data[i] = gate![i] * up![i] / (1.0f + GgmlExp.Exp(-gate[i]));
                    }

                    break;
                case "residual-dropped" when name == "l_out-1":
                    ffnOut.AsSpan().CopyTo(data);
                    break;
            }

            // What later ops read: the residual stream, and the FFN's operands.
            if (name == "embd" || name.StartsWith("l_out-", StringComparison.Ordinal) || name.StartsWith("ffn_inp-", StringComparison.Ordinal))
            {
                residual = data.ToArray();
            }

            gate = name == "ffn_gate-1" ? data.ToArray() : gate;
            up = name == "ffn_up-1" ? data.ToArray() : up;
            ffnOut = name == "ffn_out-1" ? data.ToArray() : ffnOut;
        };
    }

    /// <summary>RMSNorm as the bug computes it: x / (sqrt(mean(x^2)) + eps), with ggml's sum of squares in double.</summary>
    private static void NormWithEpsOutsideSqrt(float[] x, Span<float> destination, int rowLength, float eps)
    {
        for (var row = 0; row * rowLength < destination.Length; row++)
        {
            var sum = 0.0;
            for (var i = 0; i < rowLength; i++)
            {
                var v = x[(row * rowLength) + i];
                sum += v * v;
            }

            var scale = 1.0f / (MathF.Sqrt((float)(sum / rowLength)) + eps);
            for (var i = 0; i < rowLength; i++)
            {
                destination[(row * rowLength) + i] = x[(row * rowLength) + i] * scale;
            }
        }
    }
}
