using System.Text.Json;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// Every KV cache type llama.cpp offers on a CPU, against llama.cpp on the micro preset (a 6-token prompt, its batch
/// path, then single-token steps): each type as K and as V with flash attention, each K type with V f16 without it
/// (kq as the K type's product: tinyBLAS's order for the prompt, vec_dot's for the steps), V bf16 and f32 without it
/// (kqv against BF16 or F32 values), and mixed pairs. In ggml numerics every compared tensor must be bit-identical.
/// </summary>
[TestFixture]
public sealed class KvCacheTypeTests
{
    [TestCase("bf16", "bf16", "on")]
    [TestCase("q4_1", "q4_1", "on")]
    [TestCase("q5_0", "q5_0", "on")]
    [TestCase("q5_1", "q5_1", "on")]
    [TestCase("iq4_nl", "iq4_nl", "on")]
    [TestCase("q8_0", "q4_1", "on")]
    [TestCase("bf16", "iq4_nl", "on")]
    [TestCase("q5_0", "f16", "on")]
    [TestCase("bf16", "f16", "off")]
    [TestCase("q4_1", "f16", "off")]
    [TestCase("q5_0", "f16", "off")]
    [TestCase("q5_1", "f16", "off")]
    [TestCase("iq4_nl", "f16", "off")]
    [TestCase("f16", "bf16", "off")]
    [TestCase("q4_1", "f32", "off")]
    public void Every_tensor_is_bit_identical_to_llama_cpp(string k, string v, string flashAttention)
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "micro", "--quant", "Q8_0", "--tokens", "1,20,30,40,50,60", "--steps", "3", "--threads", "1",
            "--flash-attn", flashAttention, "--cache-type-k", k, "--cache-type-v", v, "--out", temp.Path, "--format", "json");
        Assert.That(code, Is.Zero, stderr);
        using var report = JsonDocument.Parse(stdout);
        var compared = report.RootElement.GetProperty("tensors").EnumerateArray()
            .Where(t => t.GetProperty("status").GetString() != "NotCompared")
            .Select(t => (Key: t.GetProperty("key").GetString()!, Status: t.GetProperty("status").GetString()))
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(report.RootElement.GetProperty("regime").GetString(), Does.StartWith("exact"));
            var attention = flashAttention == "on" ? "kqv_out-" : "kq-";
            Assert.That(compared.Count(t => t.Key.StartsWith(attention, StringComparison.Ordinal)), Is.GreaterThan(0), $"{attention} tensors were compared");
            Assert.That(compared.Where(t => t.Status != "Passed").Select(t => t.Key), Is.Empty, "tensors that are not bit-identical");
        });
    }

    /// <summary>
    /// The avx library's IQ4_NL product sums in an order the engine does not follow: refused by name before llama.cpp
    /// runs, not judged as a parity failure.
    /// </summary>
    [Test]
    public void An_iq4_nl_k_cache_against_the_avx_library_is_refused_before_llama_cpp_runs()
    {
        using var temp = new TempDirectory();
        var (code, _, stderr) = ParityCli.Run("run", "--preset", "micro", "--variant", "avx", "--tokens", "1,2", "--flash-attn", "off", "--cache-type-k", "iq4_nl", "--out", temp.Path);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("--cache-type-k iq4_nl against llama.cpp's avx library: the engine has no iq4_nl product in that library's order"));
        Assert.That(Directory.Exists(Path.Combine(temp.Path, "llama.cpp")), Is.False, "llama.cpp was not run");
    }
}
