using Parity.Gguf;

namespace Parity.Harness.Runner;

/// <summary>
/// Refuses, before either side runs, a comparison that cannot fit the model: every prompt token and decode step needs a
/// position, and a model has only the context it was trained for. Checked on the token ids, so a 100 KB prompt is
/// refused in the time it takes to tokenize it rather than after llama.cpp has grown to fill the machine.
/// </summary>
public static class RunLimits
{
    public static void Check(string modelPath, int promptTokens, int steps)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        if (steps < 0)
        {
            throw new ArgumentException($"--steps {steps}: expected 0 or more decode steps");
        }

        if (promptTokens == 0)
        {
            throw new ArgumentException("the prompt has no tokens: give --prompt TEXT or --tokens IDS with at least one id");
        }

        using var file = GgufFile.Open(modelPath);
        var context = LlamaHyperparameters.Read(file).ContextLength;
        if ((long)promptTokens + steps > context)
        {
            throw new ArgumentException(
                $"{promptTokens} prompt token(s) and --steps {steps} need {(long)promptTokens + steps} positions, but {modelPath} was trained for a context of {context} (llama.context_length)");
        }
    }
}
