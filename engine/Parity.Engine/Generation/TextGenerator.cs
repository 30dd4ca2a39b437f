using Parity.Engine.Model;

namespace Parity.Engine.Generation;

/// <summary>Generates tokens with the engine: the prompt in one batch, then one token at a time through the KV cache.</summary>
public static class TextGenerator
{
    /// <summary>Yields up to <paramref name="maxTokens"/> tokens, stopping after an end-of-generation token.</summary>
    public static IEnumerable<int> Generate(Transformer model, IReadOnlyList<int> prompt, int maxTokens, SamplingOptions options, IReadOnlySet<int> stopTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(stopTokens);
        var sampler = new Sampler(model.Config.NVocab, options);
        var vocab = model.Config.NVocab;
        model.Reset();
        var logits = model.Forward([.. prompt]);
        var next = sampler.Sample(logits[((prompt.Count - 1) * vocab)..]);
        var single = new int[1];
        for (var i = 0; i < maxTokens; i++)
        {
            yield return next;
            if (stopTokens.Contains(next) || i == maxTokens - 1)
            {
                yield break;
            }

            single[0] = next;
            next = sampler.Sample(model.Forward(single));
        }
    }
}
