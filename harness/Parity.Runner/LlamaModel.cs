using System.Text;
using Parity.Runner.Native;

namespace Parity.Runner;

/// <summary>A loaded llama.cpp model and its vocabulary; tokenization helpers over the C API.</summary>
internal sealed unsafe class LlamaModel : IDisposable
{
    private LlamaModel(string path, IntPtr handle)
    {
        Path = path;
        Handle = handle;
        Vocab = LlamaApi.llama_model_get_vocab(handle);
    }

    public string Path { get; }

    public IntPtr Handle { get; private set; }

    public IntPtr Vocab { get; }

    public int VocabSize => LlamaApi.llama_vocab_n_tokens(Vocab);

    /// <param name="repack">Allow llama.cpp's extra CPU buffer types (repacked weights); off keeps ggml's plain kernels.</param>
    public static LlamaModel Load(string path, bool vocabOnly = false, bool repack = false)
    {
        if (!File.Exists(path))
        {
            throw new RunnerException(RunnerExitCodes.BadInput, $"{path}: no such model file");
        }

        var p = LlamaApi.llama_model_default_params();
        p.Set("llama_model_params.vocab_only", vocabOnly ? (byte)1 : (byte)0);
        p.Set("llama_model_params.use_extra_bufts", repack ? (byte)1 : (byte)0);
        var before = LlamaLog.Captured.Count;
        var handle = LlamaApi.llama_model_load_from_file(path, p);
        if (handle == IntPtr.Zero)
        {
            var reasons = LlamaLog.Captured.Skip(before).Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("failed", StringComparison.OrdinalIgnoreCase)).TakeLast(4);
            throw new RunnerException(RunnerExitCodes.LlamaFailure, $"llama.cpp could not load {path}: {string.Join(" | ", reasons)}");
        }

        return new LlamaModel(path, handle);
    }

    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial) => Tokenize(Encoding.UTF8.GetBytes(text), addSpecial, parseSpecial);

    /// <summary>llama_tokenize on raw bytes (which need not be valid UTF-8).</summary>
    public int[] Tokenize(byte[] utf8, bool addSpecial, bool parseSpecial)
    {
        var capacity = utf8.Length + 8;
        while (true)
        {
            var tokens = new int[capacity];
            int n;
            fixed (byte* t = utf8)
            fixed (int* o = tokens)
            {
                n = LlamaApi.llama_tokenize(Vocab, t, utf8.Length, o, capacity, addSpecial, parseSpecial);
            }

            if (n == int.MinValue)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, "text too long to tokenize");
            }

            if (n >= 0)
            {
                return tokens[..n];
            }

            capacity = -n;
        }
    }

    public string Detokenize(int[] tokens, bool removeSpecial, bool unparseSpecial) =>
        Encoding.UTF8.GetString(DetokenizeBytes(tokens, removeSpecial, unparseSpecial));

    /// <summary>llama_detokenize's bytes as written, before any UTF-8 decoding.</summary>
    public byte[] DetokenizeBytes(int[] tokens, bool removeSpecial, bool unparseSpecial)
    {
        var capacity = tokens.Length * 16 + 16;
        while (true)
        {
            var buffer = new byte[capacity];
            int n;
            fixed (int* t = tokens)
            fixed (byte* b = buffer)
            {
                n = LlamaApi.llama_detokenize(Vocab, t, tokens.Length, b, capacity, removeSpecial, unparseSpecial);
            }

            if (n >= 0)
            {
                return buffer[..n];
            }

            capacity = -n;
        }
    }

    /// <summary>The raw bytes a token stands for (a byte token may be part of a multi-byte character).</summary>
    public byte[] Piece(int token, bool special)
    {
        Span<byte> buffer = stackalloc byte[256];
        fixed (byte* b = buffer)
        {
            var n = LlamaApi.llama_token_to_piece(Vocab, token, b, buffer.Length, 0, special);
            return n < 0 ? throw new RunnerException(RunnerExitCodes.LlamaFailure, $"token {token} has a piece longer than 256 bytes") : buffer[..n].ToArray();
        }
    }

    public void Dispose()
    {
        if (Handle != IntPtr.Zero)
        {
            LlamaApi.llama_model_free(Handle);
            Handle = IntPtr.Zero;
        }
    }
}
