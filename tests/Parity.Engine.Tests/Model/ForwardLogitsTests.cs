using Parity.Engine.Generation;
using Parity.Engine.Model;
using Parity.Engine.Tests.Support;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;

using Parity.Tests.Support;

namespace Parity.Engine.Tests.Model;

/// <summary>The engine's logits against llama.cpp's (F32 KV cache, so both compute attention in F32).</summary>
[TestFixture]
public sealed class ForwardLogitsTests
{
    private static readonly LlamaCppDecodeOptions F32Cache = new() { CacheTypeK = "f32", CacheTypeV = "f32" };

    [Test]
    public async Task Tinyllama_mini_f32_logits_match_llama_cpp_for_a_prompt_and_greedy_steps()
    {
        var path = EngineTestModels.Cache.GetSynthetic(SyntheticPresets.TinyLlamaMini);
        int[] prompt = [1, 959, 323, 625, 448, 415, 325];
        const int steps = 8;
        var reference = await EngineTestModels.Runner.LogitsAsync(path, prompt, steps, Path.GetTempFileName(), F32Cache);

        using var model = Transformer.Load(path, new EngineOptions { ContextSize = 256, MaxBatch = 16 });
        var logits = model.Forward(prompt).ToArray();
        var rows = new List<float[]>();
        for (var t = 0; t < prompt.Length; t++)
        {
            rows.Add(logits.AsSpan(t * model.Config.NVocab, model.Config.NVocab).ToArray());
        }

        var generated = new List<int>();
        for (var s = 0; s < steps; s++)
        {
            var next = Sampler.ArgMax(rows[^1]);
            generated.Add(next);
            rows.Add(model.Forward([next]).ToArray());
        }

        Assert.That(generated, Is.EqualTo(reference.Generated), "greedy tokens");
        for (var i = 0; i < rows.Count; i++)
        {
            var nmse = Nmse(rows[i], reference.Rows[i]);
            TestContext.Out.WriteLine($"row {i}: NMSE {nmse:E2}");
            Assert.That(nmse, Is.LessThanOrEqualTo(1e-10), $"logits row {i}");
        }
    }

    /// <summary>The only trained model we have: greedy decoding from BOS must follow llama.cpp token for token.</summary>
    [Test]
    public async Task Stories260K_greedy_generation_from_bos_matches_llama_cpp_for_200_tokens()
    {
        var path = SharedFixtures.Require("models/stories260K.gguf");
        const int steps = 200;
        var reference = await EngineTestModels.Runner.LogitsAsync(path, [1], steps, Path.GetTempFileName(), F32Cache);

        using var model = Transformer.Load(path, new EngineOptions { ContextSize = 256, MaxBatch = 4 });
        var last = model.Forward([1]).ToArray();
        var generated = new List<int>();
        var worst = 0.0;
        for (var s = 0; s < steps; s++)
        {
            worst = Math.Max(worst, Nmse(last, reference.Rows[s]));
            var next = Sampler.ArgMax(last);
            generated.Add(next);
            last = model.Forward([next]).ToArray();
        }

        var text = (await EngineTestModels.Runner.RunAsync("detokenize", ["--model", path, "--tokens", string.Join(',', generated)])).Json["text"]!.GetValue<string>();
        TestContext.Out.WriteLine($"worst logits NMSE {worst:E2}; text: {text}");
        Assert.That(generated, Is.EqualTo(reference.Generated));
        Assert.That(worst, Is.LessThanOrEqualTo(1e-10));
        Assert.That(text, Does.Contain("Once upon a time").Or.Contain("once upon a time").Or.Contain(" was "), "a children's story");
    }

    internal static double Nmse(float[] a, float[] b)
    {
        double num = 0, den = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            num += d * d;
            den += (double)b[i] * b[i];
        }

        return num / den;
    }
}
