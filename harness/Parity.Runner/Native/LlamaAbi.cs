using System.Runtime.CompilerServices;

namespace Parity.Runner.Native;

/// <summary>
/// Start-up check that the loaded libraries have the ABI this runner was written for (llama.cpp 815a2a5). Struct
/// layouts change between llama.cpp versions without any version number to ask for; reading the documented
/// defaults back through our layouts catches a mismatch before it can corrupt memory silently.
/// </summary>
internal static class LlamaAbi
{
    public const string PinnedCommit = "815a2a5915f22ce6a760c676389c5dfe8535c08f";

    public static void Check(string libraryDirectory)
    {
        var problems = new List<string>();
        void Expect<T>(string what, T actual, T expected)
        {
            if (!EqualityComparer<T>.Default.Equals(actual, expected))
            {
                problems.Add($"{what} reads {actual}, expected {expected}");
            }
        }

        Expect("sizeof(llama_model_params)", Unsafe.SizeOf<LlamaModelParams>(), LlamaModelParams.ExpectedSize);
        Expect("sizeof(llama_context_params)", Unsafe.SizeOf<LlamaContextParams>(), LlamaContextParams.ExpectedSize);
        Expect("sizeof(llama_batch)", Unsafe.SizeOf<LlamaBatch>(), LlamaBatch.ExpectedSize);
        Expect("sizeof(llama_model_quantize_params)", Unsafe.SizeOf<LlamaModelQuantizeParams>(), LlamaModelQuantizeParams.ExpectedSize);

        var cp = LlamaApi.llama_context_default_params();
        Expect("llama_context_default_params().n_ctx (offset 0)", cp.NCtx, 512u);
        Expect("llama_context_default_params().n_batch (offset 4)", cp.NBatch, 2048u);
        Expect("llama_context_default_params().n_ubatch (offset 8)", cp.NUbatch, 512u);
        Expect("llama_context_default_params().n_seq_max (offset 12)", cp.NSeqMax, 1u);
        Expect("llama_context_default_params().flash_attn_type (offset 48)", cp.FlashAttnType, -1);
        Expect("llama_context_default_params().defrag_thold (offset 80)", cp.DefragThold, -1f);
        Expect("llama_context_default_params().type_k (offset 104)", cp.TypeK, 1);
        Expect("llama_context_default_params().type_v (offset 108)", cp.TypeV, 1);
        Expect("llama_context_default_params().offload_kqv (offset 129)", cp.OffloadKqv, (byte)1);

        var mp = LlamaApi.llama_model_default_params();
        Expect("llama_model_default_params().load_mode (offset 24)", mp.LoadMode, 1);
        Expect("llama_model_default_params().vocab_only (offset 64)", mp.VocabOnly, (byte)0);
        Expect("llama_model_default_params().use_extra_bufts (offset 66)", mp.UseExtraBufts, (byte)1);

        var qp = LlamaApi.llama_model_quantize_default_params();
        Expect("llama_model_quantize_default_params().ftype (offset 4)", qp.FType, 7);
        Expect("llama_model_quantize_default_params().quantize_output_tensor (offset 17)", qp.QuantizeOutputTensor, (byte)1);

        if (problems.Count > 0)
        {
            throw new RunnerException(
                RunnerExitCodes.AbiMismatch,
                $"the llama.cpp libraries in {libraryDirectory} do not have the ABI of llama.cpp {PinnedCommit[..7]} this runner was written for: {string.Join("; ", problems)}");
        }
    }
}
