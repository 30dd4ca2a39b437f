using System.Text.Json;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// A Q8_0 K cache without flash attention (<c>--cache-type-k q8_0 --flash-attn off</c>, V in F16): llama.cpp rotates Q and K by a Walsh-Hadamard transform and
/// quantizes K into Q8_0 blocks; the engine in ggml numerics reproduces every tensor bit for bit, prompt and steps.
/// </summary>
[TestFixture]
public sealed class QuantizedKeyCacheTests
{
    [TestCase("F32")]
    [TestCase("F16")]
    [TestCase("Q8_0")]
    [TestCase("Q4_K_M")]
    public void Every_tensor_is_bit_identical_to_llama_cpp_over_a_prompt_and_steps(string quant)
    {
        using var temp = new TempDirectory();
        var tokens = string.Join(',', Enumerable.Range(0, 24).Select(i => i == 0 ? 1 : 300 + (37 * i % 700)));
        var (code, stdout, stderr) = ParityCli.Run("run", "--preset", "tinyllama-mini", "--quant", quant, "--cache-type-k", "q8_0", "--flash-attn", "off", "--tokens", tokens, "--steps", "4", "--out", temp.Path, "--format", "json");
        Assert.That(code, Is.Zero, stderr);
        using var report = JsonDocument.Parse(stdout);
        var compared = report.RootElement.GetProperty("tensors").EnumerateArray()
            .Where(t => t.TryGetProperty("nmse", out var v) && v.ValueKind == JsonValueKind.Number)
            .Select(t => (Key: t.GetProperty("key").GetString()!, Nmse: t.GetProperty("nmse").GetDouble()))
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(compared.Select(t => t.Key), Has.Some.StartsWith("kq-").And.Some.StartsWith("kqv-"), "attention was compared");
            Assert.That(compared, Has.Count.GreaterThan(400), "5 steps of every layer's tensors");
            Assert.That(compared.Where(t => t.Nmse != 0).Select(t => $"{t.Key} {t.Nmse:E2}"), Is.Empty, "tensors that are not bit-identical");
        });
    }

    [Test]
    public void A_q8_0_k_cache_changes_attention_against_the_f16_cache()
    {
        using var temp = new TempDirectory();
        var a = Path.Combine(temp.Path, "q8");
        var b = Path.Combine(temp.Path, "f16");
        Assert.That(ParityCli.Run("dump", "--side", "engine", "--preset", "tinyllama-mini", "--quant", "F32", "--cache-type-k", "q8_0", "--flash-attn", "off", "--prompt", "Hello world", "--out", a).Code, Is.Zero);
        Assert.That(ParityCli.Run("dump", "--side", "engine", "--preset", "tinyllama-mini", "--quant", "F32", "--flash-attn", "off", "--prompt", "Hello world", "--out", b).Code, Is.Zero);
        var (code, stdout, stderr) = ParityCli.Run("diff", a, b, "--format", "json", "--allow-different-config");
        Assert.That(stderr, Does.Not.Contain("Unhandled"));
        using var report = JsonDocument.Parse(stdout);
        var kq = report.RootElement.GetProperty("tensors").EnumerateArray().First(t => t.GetProperty("key").GetString() == "kq-0");
        Assert.That(kq.GetProperty("nmse").GetDouble(), Is.GreaterThan(1e-8), "the rotated, 8-bit keys are a different computation (exit code " + code + ")");
    }
}
