namespace Parity.Runner.Abi;

/// <summary>
/// Chooses the layout for the loaded build: by its headers when it has them (the catalog's entry for that header set,
/// else a cached or fresh probe of them), else by its ggml commit from the catalog. A build neither identifies is
/// refused, naming what is missing; a layout lacking a field the runner uses is refused naming the field.
/// </summary>
internal static class LayoutResolver
{
    /// <summary>Every field the runner reads or writes; a layout must place each one.</summary>
    public static IReadOnlyList<string> Required { get; } =
    [
        "sizeof(llama_model_params)", "llama_model_params.vocab_only", "llama_model_params.use_extra_bufts",
        "sizeof(llama_context_params)", "llama_context_params.n_ctx", "llama_context_params.n_batch", "llama_context_params.n_ubatch",
        "llama_context_params.n_seq_max", "llama_context_params.n_threads", "llama_context_params.n_threads_batch",
        "llama_context_params.flash_attn_type", "llama_context_params.cb_eval", "llama_context_params.cb_eval_user_data",
        "llama_context_params.type_k", "llama_context_params.type_v", "llama_context_params.no_perf",
        "sizeof(llama_model_quantize_params)", "llama_model_quantize_params.nthread", "llama_model_quantize_params.ftype",
        "sizeof(llama_batch)", "llama_batch.n_tokens", "llama_batch.token", "llama_batch.embd", "llama_batch.pos",
        "llama_batch.n_seq_id", "llama_batch.seq_id", "llama_batch.logits",
        "ggml_tensor.type", "ggml_tensor.buffer", "ggml_tensor.ne", "ggml_tensor.nb", "ggml_tensor.data", "ggml_tensor.name", "sizeof(ggml_tensor.name)",
        "ggml_type_traits.blck_size", "ggml_type_traits.type_size", "ggml_type_traits.to_float",
        "ggml_type_traits_cpu.from_float", "ggml_type_traits_cpu.vec_dot", "ggml_type_traits_cpu.vec_dot_type",
    ];

    public static LlamaLayout Resolve(string libraryDirectory, string? ggmlCommit, string? ggmlVersion)
    {
        var layout = Choose(libraryDirectory, ggmlCommit, ggmlVersion);
        var missing = Required.Where(f => !layout.Has(f)).ToList();
        if (missing.Count > 0)
        {
            throw new RunnerException(RunnerExitCodes.UnservableAbi, $"the llama.cpp build in {libraryDirectory} ({layout.Source}) lacks what the runner uses: {string.Join(", ", missing)}");
        }

        foreach (var s in new[] { "llama_model_params", "llama_context_params", "llama_model_quantize_params" })
        {
            if (layout.SizeOf(s) is <= ParamsBlock.MinimumSize or > ParamsBlock.Capacity)
            {
                throw new RunnerException(RunnerExitCodes.UnservableAbi, $"struct {s} is {layout.SizeOf(s)} bytes in {libraryDirectory} ({layout.Source}); the runner passes {ParamsBlock.MinimumSize + 1}..{ParamsBlock.Capacity} bytes by value");
            }
        }

        return layout;
    }

    private static LlamaLayout Choose(string libraryDirectory, string? ggmlCommit, string? ggmlVersion)
    {
        var headers = HeaderSet.Find(libraryDirectory);
        if (headers is not null)
        {
            return LayoutCatalog.ByHeaders(headers.Sha256)?.Layout(headers.Sha256)
                ?? LayoutProbe.Cached(headers)
                ?? LayoutProbe.Run(headers);
        }

        return LayoutCatalog.ByGgmlCommit(ggmlCommit)?.Layout(null) ?? throw new RunnerException(
            RunnerExitCodes.UnservableAbi,
            $"the llama.cpp build in {libraryDirectory} (ggml {ggmlVersion ?? "?"}, commit {ggmlCommit ?? "?"}) is not one this runner knows ({string.Join(", ", LayoutCatalog.Entries.Select(e => e.Name))}), and it has no public headers to read its layout from (looked for llama.h, ggml.h and ggml-cpu.h in {string.Join(" and ", HeaderSet.Candidates(libraryDirectory))})");
    }
}
