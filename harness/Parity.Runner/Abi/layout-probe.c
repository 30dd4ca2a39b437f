/*
 * Parity's layout probe: compiled against a llama.cpp build's own public headers (never linked against its
 * libraries), it prints the sizes and field offsets of the structs parity-runner reads and writes, as JSON on
 * stdout. The runner caches the result by the headers' SHA-256, so the compiler runs once per header set.
 * A field missing from the headers fails the compile with the field's name, which the runner reports.
 */
#include <stddef.h>
#include <stdio.h>
#include "llama.h"
#include "ggml.h"
#include "ggml-cpu.h"

static int first = 1;

static void emit(const char *name, size_t value) {
    printf("%s\n    \"%s\": %zu", first ? "" : ",", name, value);
    first = 0;
}

#define SIZE(S) emit("sizeof(" #S ")", sizeof(struct S))
#define OFF(S, F) emit(#S "." #F, offsetof(struct S, F))

int main(void) {
    printf("{\n  \"probe\": 1,\n  \"fields\": {");
    SIZE(llama_model_params);
    OFF(llama_model_params, n_gpu_layers);
    OFF(llama_model_params, vocab_only);
    OFF(llama_model_params, check_tensors);
    OFF(llama_model_params, use_extra_bufts);

    SIZE(llama_context_params);
    OFF(llama_context_params, n_ctx);
    OFF(llama_context_params, n_batch);
    OFF(llama_context_params, n_ubatch);
    OFF(llama_context_params, n_seq_max);
    OFF(llama_context_params, n_threads);
    OFF(llama_context_params, n_threads_batch);
    OFF(llama_context_params, flash_attn_type);
    OFF(llama_context_params, cb_eval);
    OFF(llama_context_params, cb_eval_user_data);
    OFF(llama_context_params, type_k);
    OFF(llama_context_params, type_v);
    OFF(llama_context_params, offload_kqv);
    OFF(llama_context_params, no_perf);

    SIZE(llama_model_quantize_params);
    OFF(llama_model_quantize_params, nthread);
    OFF(llama_model_quantize_params, ftype);
    OFF(llama_model_quantize_params, allow_requantize);
    OFF(llama_model_quantize_params, quantize_output_tensor);
    OFF(llama_model_quantize_params, pure);

    SIZE(llama_batch);
    OFF(llama_batch, n_tokens);
    OFF(llama_batch, token);
    OFF(llama_batch, embd);
    OFF(llama_batch, pos);
    OFF(llama_batch, n_seq_id);
    OFF(llama_batch, seq_id);
    OFF(llama_batch, logits);

    SIZE(ggml_tensor);
    OFF(ggml_tensor, type);
    OFF(ggml_tensor, buffer);
    OFF(ggml_tensor, ne);
    OFF(ggml_tensor, nb);
    OFF(ggml_tensor, data);
    OFF(ggml_tensor, name);
    emit("sizeof(ggml_tensor.name)", sizeof(((struct ggml_tensor *)0)->name));

    SIZE(ggml_type_traits);
    OFF(ggml_type_traits, blck_size);
    OFF(ggml_type_traits, type_size);
    OFF(ggml_type_traits, to_float);

    SIZE(ggml_type_traits_cpu);
    OFF(ggml_type_traits_cpu, from_float);
    OFF(ggml_type_traits_cpu, vec_dot);
    OFF(ggml_type_traits_cpu, vec_dot_type);
    printf("\n  }\n}\n");
    return 0;
}
