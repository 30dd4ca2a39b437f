using System.Runtime.InteropServices;
using Parity.Runner.Abi;

namespace Parity.Runner.Native;

#pragma warning disable CA1707, SA1300, IDE1006 // llama.cpp's and ggml's own function names, so the two read side by side.

/// <summary>
/// The llama.cpp and ggml C functions the runner calls, with signatures unchanged from llama.cpp 815a2a5 to d8a24cc;
/// the parameter structs whose layouts differ between builds travel as <see cref="ParamsBlock"/>s read through the
/// loaded build's <see cref="LlamaLayout"/>. The library names resolve to the handles <see cref="LlamaLibrary"/> loaded.
/// </summary>
internal static unsafe partial class LlamaApi
{
    private const string L = LlamaLibrary.Llama;
    private const string G = LlamaLibrary.GgmlBase;

    [LibraryImport(L)]
    public static partial void llama_backend_init();

    [LibraryImport(L)]
    public static partial void llama_backend_free();

    [LibraryImport(L)]
    public static partial void llama_log_set(delegate* unmanaged[Cdecl]<int, byte*, IntPtr, void> callback, IntPtr userData);

    [LibraryImport(L)]
    public static partial ParamsBlock llama_model_default_params();

    [LibraryImport(L)]
    public static partial ParamsBlock llama_context_default_params();

    [LibraryImport(L)]
    public static partial ParamsBlock llama_model_quantize_default_params();

    [LibraryImport(L, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr llama_model_load_from_file(string path, ParamsBlock parameters);

    [LibraryImport(L)]
    public static partial void llama_model_free(IntPtr model);

    [LibraryImport(L)]
    public static partial IntPtr llama_init_from_model(IntPtr model, ParamsBlock parameters);

    [LibraryImport(L)]
    public static partial void llama_free(IntPtr context);

    [LibraryImport(L)]
    public static partial IntPtr llama_model_get_vocab(IntPtr model);

    [LibraryImport(L)]
    public static partial int llama_model_n_embd(IntPtr model);

    [LibraryImport(L)]
    public static partial int llama_model_n_layer(IntPtr model);

    [LibraryImport(L)]
    public static partial int llama_vocab_n_tokens(IntPtr vocab);

    [LibraryImport(L)]
    public static partial int llama_vocab_bos(IntPtr vocab);

    [LibraryImport(L)]
    public static partial int llama_vocab_eos(IntPtr vocab);

    [LibraryImport(L)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_eog(IntPtr vocab, int token);

    [LibraryImport(L)]
    public static partial int llama_tokenize(IntPtr vocab, byte* text, int textLength, int* tokens, int maxTokens, [MarshalAs(UnmanagedType.U1)] bool addSpecial, [MarshalAs(UnmanagedType.U1)] bool parseSpecial);

    [LibraryImport(L)]
    public static partial int llama_token_to_piece(IntPtr vocab, int token, byte* buffer, int length, int lstrip, [MarshalAs(UnmanagedType.U1)] bool special);

    [LibraryImport(L)]
    public static partial int llama_detokenize(IntPtr vocab, int* tokens, int nTokens, byte* text, int textLengthMax, [MarshalAs(UnmanagedType.U1)] bool removeSpecial, [MarshalAs(UnmanagedType.U1)] bool unparseSpecial);

    [LibraryImport(L)]
    public static partial LlamaBatch llama_batch_init(int nTokens, int embd, int nSeqMax);

    [LibraryImport(L)]
    public static partial void llama_batch_free(LlamaBatch batch);

    [LibraryImport(L)]
    public static partial int llama_decode(IntPtr context, LlamaBatch batch);

    [LibraryImport(L)]
    public static partial float* llama_get_logits_ith(IntPtr context, int i);

    [LibraryImport(L)]
    public static partial uint llama_n_ctx(IntPtr context);

    [LibraryImport(L)]
    public static partial IntPtr llama_get_memory(IntPtr context);

    [LibraryImport(L)]
    public static partial void llama_memory_clear(IntPtr memory, [MarshalAs(UnmanagedType.U1)] bool data);

    [LibraryImport(L)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_memory_seq_rm(IntPtr memory, int seqId, int p0, int p1);

    [LibraryImport(L, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint llama_model_quantize(string input, string output, ParamsBlock* parameters);

    [LibraryImport(L)]
    public static partial IntPtr llama_print_system_info();

    [LibraryImport(L)]
    public static partial IntPtr llama_model_chat_template(IntPtr model, IntPtr name);

    [LibraryImport(L)]
    public static partial int llama_chat_apply_template(IntPtr template, LlamaChatMessage* chat, nuint nMessages, [MarshalAs(UnmanagedType.U1)] bool addAssistant, byte* buffer, int length);

    [LibraryImport(G)]
    public static partial IntPtr ggml_op_desc(IntPtr tensor);

    [LibraryImport(G)]
    public static partial IntPtr ggml_type_name(int type);

    [LibraryImport(G)]
    public static partial IntPtr ggml_get_type_traits(int type);

    [LibraryImport(LlamaLibrary.GgmlCpu)]
    public static partial IntPtr ggml_get_type_traits_cpu(int type);

    [LibraryImport(LlamaLibrary.GgmlCpu)]
    public static partial void ggml_cpu_init();

    [LibraryImport(G)]
    public static partial IntPtr ggml_version();

    [LibraryImport(G)]
    public static partial IntPtr ggml_commit();

    [LibraryImport(G)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ggml_backend_buffer_is_host(IntPtr buffer);

    [LibraryImport(G)]
    public static partial void ggml_backend_tensor_get(IntPtr tensor, void* data, nuint offset, nuint size);

    [LibraryImport(G)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ggml_is_contiguous(IntPtr tensor);

    [LibraryImport(G)]
    public static partial nuint ggml_nbytes(IntPtr tensor);

    [LibraryImport(G)]
    public static partial nuint ggml_row_size(int type, long ne);
}

/// <summary><c>struct llama_chat_message</c>: two UTF-8 C strings.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaChatMessage
{
    public byte* Role;
    public byte* Content;
}
