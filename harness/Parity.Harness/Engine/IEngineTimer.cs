namespace Parity.Harness.Engine;

/// <summary>
/// An engine ready to be timed for <c>parity bench</c>: one model at one thread count, loaded once, so each repetition
/// measures a prompt batch and greedy generation only (load and start-up excluded, as llama.cpp's timings exclude them).
/// </summary>
public interface IEngineTimer : IDisposable
{
    /// <summary>One repetition: seconds for the prompt as one batch, and for the generated tokens after it.</summary>
    Task<(double PromptSeconds, double GenSeconds)> TimeAsync(CancellationToken cancellationToken = default);

    /// <summary>The peak resident set seen while timing, in bytes (0 when unknown).</summary>
    long PeakRssBytes { get; }
}
