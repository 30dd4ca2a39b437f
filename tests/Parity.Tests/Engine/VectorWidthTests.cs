using System.Diagnostics;
using Parity.Dump;
using Parity.Tests.Support;

namespace Parity.Tests.Engine;

/// <summary>
/// The engine's ggml numerics do not depend on the machine's vector width: child processes with AVX-512 off, AVX2 off
/// and every hardware intrinsic off (the scalar references) must dump the same bits as this process. Every kernel on
/// the ggml path has a vector version and a scalar reference doing the same float operations in the same order; this
/// checks that claim end to end, through whole forward passes.
/// </summary>
[TestFixture]
public sealed class VectorWidthTests
{
    [TestCase("Q4_0")]
    [TestCase("Q5_1")]
    [TestCase("Q4_K_M")]
    [TestCase("Q3_K_M")]
    [TestCase("F16")]
    public async Task Every_vector_width_gives_the_same_bits_as_this_machine(string quant)
    {
        using var temp = new TempDirectory();
        string[] args = ["dump", "--side", "engine", "--preset", "micro", "--quant", quant, "--prompt", "Once upon a time there was a dog", "--steps", "2"];
        var (code, stdout, stderr) = ParityCli.Run([.. args, "--out", temp.File("native")]);
        Assert.That(code, Is.Zero, stdout + stderr);

        foreach (var (variable, label) in new[] { ("DOTNET_EnableAVX512F", "avx512-off"), ("DOTNET_EnableAVX2", "avx2-off"), ("DOTNET_EnableHWIntrinsic", "scalar") })
        {
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "parity.dll"), .. args, "--out", temp.File(label)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment[variable] = "0";
            using var process = Process.Start(start)!;
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.That(process.ExitCode, Is.Zero, $"{label}: {error}");
            AssertSameBits(temp.File("native"), temp.File(label), $"{quant}, {variable}=0");
        }
    }

    private static void AssertSameBits(string expectedRun, string actualRun, string what)
    {
        var expected = DumpRun.Open(expectedRun);
        var actual = DumpRun.Open(actualRun);
        Assert.That(actual.StepCount, Is.EqualTo(expected.StepCount));
        Assert.That(actual.GeneratedTokens, Is.EqualTo(expected.GeneratedTokens), what);
        for (var i = 0; i < expected.StepCount; i++)
        {
            using var a = actual.OpenStep(i);
            using var e = expected.OpenStep(i);
            Assert.That(a.Tensors.Select(t => t.Key), Is.EqualTo(e.Tensors.Select(t => t.Key)), what);
            foreach (var entry in e.Tensors)
            {
                Assert.That(a.GetBytes(a.Get(entry.Key)).SequenceEqual(e.GetBytes(entry)), Is.True, $"{what}: step {i} {entry.Key} differs");
            }
        }
    }
}
