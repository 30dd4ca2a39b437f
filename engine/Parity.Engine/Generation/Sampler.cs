namespace Parity.Engine.Generation;

/// <summary>
/// Chooses tokens from logits: greedy at temperature 0, else top-k, then top-p, then temperature, then a draw. The
/// candidate buffers are allocated once for the vocabulary, so sampling allocates nothing per token.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;
    private readonly int[] _ids;
    private readonly float[] _probs;

    public Sampler(int vocabSize, SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Temperature < 0 || options.TopK < 0 || options.TopP is <= 0 or > 1)
        {
            throw new ArgumentException("temperature must be >= 0, top-k >= 0, and top-p in (0, 1]", nameof(options));
        }

        _options = options;
        _random = new Random(options.Seed);
        _ids = new int[vocabSize];
        _probs = new float[vocabSize];
    }

    public int Sample(ReadOnlySpan<float> logits)
    {
        if (_options.Temperature == 0)
        {
            return ArgMax(logits);
        }

        var n = logits.Length;
        for (var i = 0; i < n; i++)
        {
            _ids[i] = i;
        }

        // Most likely first: sort ids by negated logits (the sort is deterministic for equal inputs).
        var ids = _ids.AsSpan(0, n);
        var keys = _probs.AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            keys[i] = -logits[i];
        }

        keys.Sort(ids);
        var keep = _options.TopK > 0 ? Math.Min(_options.TopK, n) : n;

        // softmax at the temperature over the kept candidates, in double for the sum
        var max = logits[ids[0]];
        var sum = 0.0;
        for (var i = 0; i < keep; i++)
        {
            _probs[i] = MathF.Exp((logits[ids[i]] - max) / _options.Temperature);
            sum += _probs[i];
        }

        if (_options.TopP < 1)
        {
            var cumulative = 0.0;
            for (var i = 0; i < keep; i++)
            {
                cumulative += _probs[i] / sum;
                if (cumulative >= _options.TopP)
                {
                    keep = i + 1;
                    break;
                }
            }

            sum = 0;
            for (var i = 0; i < keep; i++)
            {
                sum += _probs[i];
            }
        }

        var r = _random.NextDouble() * sum;
        for (var i = 0; i < keep; i++)
        {
            r -= _probs[i];
            if (r <= 0)
            {
                return ids[i];
            }
        }

        return ids[keep - 1];
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }
}
