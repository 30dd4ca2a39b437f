using System.Runtime.CompilerServices;
using Parity.Runner.Abi;

namespace Parity.Runner.Native;

/// <summary>
/// Start-up check that the chosen <see cref="LlamaLayout"/> reads the loaded libraries right. Struct layouts change
/// between llama.cpp versions without any version number to ask for; reading the documented defaults back through the
/// layout catches a wrong one before it can corrupt memory silently. A field the layout does not place is not read.
/// </summary>
internal static class LlamaAbi
{
    public static void Check(string libraryDirectory, LlamaLayout layout)
    {
        var problems = new List<string>();
        void Expect<T>(ParamsBlock block, string field, T expected)
            where T : unmanaged
        {
            if (!layout.Has(field))
            {
                return;
            }

            var actual = block.Get<T>(field);
            if (!EqualityComparer<T>.Default.Equals(actual, expected))
            {
                problems.Add($"{field} (offset {layout.Offset(field)}) reads {actual}, expected {expected}");
            }
        }

        if (layout.SizeOf("llama_batch") != Unsafe.SizeOf<LlamaBatch>() || BatchOffsets().Any(f => layout.Offset(f.Field) != f.Offset))
        {
            problems.Add($"struct llama_batch is not the {LlamaBatch.ExpectedSize}-byte layout the runner declares");
        }

        var cp = LlamaApi.llama_context_default_params();
        Expect(cp, "llama_context_params.n_ctx", 512u);
        Expect(cp, "llama_context_params.n_batch", 2048u);
        Expect(cp, "llama_context_params.n_ubatch", 512u);
        Expect(cp, "llama_context_params.n_seq_max", 1u);
        Expect(cp, "llama_context_params.flash_attn_type", -1);
        Expect(cp, "llama_context_params.type_k", 1);
        Expect(cp, "llama_context_params.type_v", 1);
        Expect(cp, "llama_context_params.offload_kqv", (byte)1);

        var mp = LlamaApi.llama_model_default_params();
        Expect(mp, "llama_model_params.load_mode", 1);
        Expect(mp, "llama_model_params.vocab_only", (byte)0);
        Expect(mp, "llama_model_params.check_tensors", (byte)0);
        Expect(mp, "llama_model_params.use_extra_bufts", (byte)1);

        var qp = LlamaApi.llama_model_quantize_default_params();
        Expect(qp, "llama_model_quantize_params.ftype", 7);
        Expect(qp, "llama_model_quantize_params.quantize_output_tensor", (byte)1);

        if (problems.Count > 0)
        {
            throw new RunnerException(
                RunnerExitCodes.AbiMismatch,
                $"the llama.cpp libraries in {libraryDirectory} do not have the layout the runner chose for them ({layout.Source}): {string.Join("; ", problems)}");
        }
    }

    private static IEnumerable<(string Field, int Offset)> BatchOffsets() =>
    [
        ("llama_batch.n_tokens", 0), ("llama_batch.token", 8), ("llama_batch.embd", 16), ("llama_batch.pos", 24),
        ("llama_batch.n_seq_id", 32), ("llama_batch.seq_id", 40), ("llama_batch.logits", 48),
    ];
}
