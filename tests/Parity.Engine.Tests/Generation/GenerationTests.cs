using Parity.Engine.Generation;
using Parity.Engine.Model;
using Parity.Engine.Tests.Support;
using Parity.Engine.Tokenizer;
using Parity.Harness.Runner;
using Parity.Tests.Support;

namespace Parity.Engine.Tests.Generation;

[TestFixture]
public sealed class GenerationTests
{
    [Test]
    public async Task Greedy_generation_from_a_prompt_follows_llama_cpp_and_stops_at_eos()
    {
        var path = SharedFixtures.Require("models/stories260K.gguf");
        var tokenizer = SpmTokenizer.Load(path);
        var prompt = tokenizer.Tokenize("Once upon a time", true, true);
        var reference = await EngineTestModels.Runner.LogitsAsync(path, prompt, 60, Path.GetTempFileName(), new LlamaCppDecodeOptions { CacheTypeK = "f32", CacheTypeV = "f32" });
        using var model = Transformer.Load(path, new EngineOptions { ContextSize = 256, MaxBatch = 8 });
        var generated = TextGenerator.Generate(model, prompt, 60, SamplingOptions.Greedy, tokenizer.Vocabulary.EndOfGenerationIds).ToList();
        var expected = reference.Generated.ToList();
        var eos = expected.FindIndex(tokenizer.Vocabulary.EndOfGenerationIds.Contains);
        Assert.That(generated, Is.EqualTo(eos < 0 ? expected.Take(60) : expected.Take(eos + 1)));
        Assert.That(tokenizer.Detokenize(generated, false, false), Does.Contain("Lily"));
    }

    [Test]
    public void Sampling_is_reproducible_for_a_seed_and_top_k_1_is_greedy()
    {
        float[] logits = [0.1f, 2f, 1.9f, -1f, 1.5f, 0f];
        int[] Draw(SamplingOptions o)
        {
            var s = new Sampler(logits.Length, o);
            return [.. Enumerable.Range(0, 50).Select(_ => s.Sample(logits))];
        }

        var a = Draw(new SamplingOptions { Temperature = 1, Seed = 42 });
        Assert.That(Draw(new SamplingOptions { Temperature = 1, Seed = 42 }), Is.EqualTo(a));
        Assert.That(Draw(new SamplingOptions { Temperature = 1, Seed = 43 }), Is.Not.EqualTo(a));
        Assert.That(a.Distinct().Count(), Is.GreaterThan(2), "temperature 1 explores");
        Assert.That(Draw(new SamplingOptions { Temperature = 1, TopK = 1, Seed = 5 }), Is.All.EqualTo(1));
        Assert.That(Draw(new SamplingOptions { Temperature = 0.7f, TopK = 2, Seed = 5 }), Is.All.AnyOf(1, 2));
        Assert.That(Draw(new SamplingOptions { Temperature = 1, TopP = 0.01f, Seed = 5 }), Is.All.EqualTo(1), "top-p keeps at least the most likely token");
    }

    [Test]
    public void Bad_sampling_options_are_refused()
    {
        Assert.That(() => new Sampler(4, new SamplingOptions { Temperature = -1 }), Throws.ArgumentException);
        Assert.That(() => new Sampler(4, new SamplingOptions { TopP = 0 }), Throws.ArgumentException);
    }
}
