using Parity.Runner.Native;

namespace Parity.Runner;

/// <summary>A llama.cpp context over a model, with one reusable batch; decodes with logits for every position.</summary>
internal sealed unsafe class LlamaContext : IDisposable
{
    private readonly LlamaBatch _batch;
    private readonly int _batchCapacity;
    private bool _disposed;

    public LlamaContext(LlamaModel model, DecodeOptions options, int tokensNeeded, int maxBatch,
        delegate* unmanaged[Cdecl]<IntPtr, byte, IntPtr, byte> evalCallback = null)
    {
        Model = model;
        var p = LlamaApi.llama_context_default_params();
        var nCtx = (uint)options.ContextFor(tokensNeeded);
        // One ubatch holds the whole prompt, so the eval callback sees one graph per decode.
        var nBatch = (uint)Math.Max(1, maxBatch);
        p.Set("llama_context_params.n_ctx", nCtx);
        p.Set("llama_context_params.n_batch", nBatch);
        p.Set("llama_context_params.n_ubatch", nBatch);
        p.Set("llama_context_params.n_seq_max", 1u);
        p.Set("llama_context_params.n_threads", options.Threads);
        p.Set("llama_context_params.n_threads_batch", options.Threads);
        p.Set("llama_context_params.flash_attn_type", options.FlashAttention ? 1 : 0);
        p.Set("llama_context_params.type_k", (int)options.TypeK);
        p.Set("llama_context_params.type_v", (int)options.TypeV);
        p.Set("llama_context_params.no_perf", (byte)1);
        p.Set("llama_context_params.cb_eval", (IntPtr)evalCallback);
        p.Set("llama_context_params.cb_eval_user_data", IntPtr.Zero);
        Handle = LlamaApi.llama_init_from_model(model.Handle, p);
        if (Handle == IntPtr.Zero)
        {
            throw new RunnerException(RunnerExitCodes.LlamaFailure, $"llama.cpp could not create a context (n_ctx {nCtx}, n_batch {nBatch}) for {model.Path}: {string.Join(" | ", LlamaLog.Captured.TakeLast(3))}");
        }

        ContextSize = (int)LlamaApi.llama_n_ctx(Handle);
        _batchCapacity = (int)nBatch;
        _batch = LlamaApi.llama_batch_init(_batchCapacity, 0, 1);
    }

    public LlamaModel Model { get; }

    public IntPtr Handle { get; }

    public int ContextSize { get; }

    /// <summary>Empties the KV cache, so the next decode starts at position 0.</summary>
    public void ClearMemory() => LlamaApi.llama_memory_clear(LlamaApi.llama_get_memory(Handle), true);

    /// <summary>Removes positions <paramref name="past"/> and later from the cache, so the next decode starts there.</summary>
    public void TruncateMemory(int past)
    {
        if (!LlamaApi.llama_memory_seq_rm(LlamaApi.llama_get_memory(Handle), 0, past, -1))
        {
            throw new RunnerException(RunnerExitCodes.BadInput, $"llama.cpp refused to remove the cache's positions from {past} on");
        }
    }

    /// <summary>
    /// Decodes <paramref name="tokens"/> at positions starting at <paramref name="firstPosition"/>, with logits for every
    /// position (what a dump needs) or for the last only (what an application does, and what a benchmark measures).
    /// </summary>
    public void Decode(ReadOnlySpan<int> tokens, int firstPosition, bool allLogits = true)
    {
        if (tokens.Length > _batchCapacity)
        {
            throw new RunnerException(RunnerExitCodes.BadInput, $"{tokens.Length} tokens do not fit the batch of {_batchCapacity}");
        }

        if (firstPosition + tokens.Length > ContextSize)
        {
            throw new RunnerException(RunnerExitCodes.BadInput, $"positions up to {firstPosition + tokens.Length} do not fit the context of {ContextSize}");
        }

        var b = _batch;
        b.NTokens = tokens.Length;
        for (var i = 0; i < tokens.Length; i++)
        {
            b.Token[i] = tokens[i];
            b.Pos[i] = firstPosition + i;
            b.NSeqId[i] = 1;
            b.SeqId[i][0] = 0;
            b.Logits[i] = allLogits || i == tokens.Length - 1 ? (sbyte)1 : (sbyte)0;
        }

        var rc = LlamaApi.llama_decode(Handle, b);
        if (rc != 0)
        {
            throw new RunnerException(RunnerExitCodes.LlamaFailure, $"llama_decode returned {rc} ({(rc == 1 ? "no KV cache slot" : rc == 2 ? "aborted" : "error")}): {string.Join(" | ", LlamaLog.Captured.TakeLast(3))}");
        }
    }

    /// <summary>The logits of output row <paramref name="i"/> (negative counts from the end) of the last decode.</summary>
    public ReadOnlySpan<float> Logits(int i)
    {
        var p = LlamaApi.llama_get_logits_ith(Handle, i);
        return p == null ? throw new RunnerException(RunnerExitCodes.LlamaFailure, $"no logits for output {i}") : new ReadOnlySpan<float>(p, Model.VocabSize);
    }

    /// <summary>Greedy choice: the first index of the largest logit.</summary>
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

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            LlamaApi.llama_batch_free(_batch);
            LlamaApi.llama_free(Handle);
        }
    }
}
