using System.Numerics.Tensors;
using Parity.Engine.Architectures;
using Parity.Engine.Kernels;
using Parity.Engine.Tracing;
using Parity.Gguf;

namespace Parity.Engine.Model;

/// <summary>
/// A decoder-only transformer over a memory-mapped GGUF file: the state, the worker pool and the pieces every
/// architecture shares (embedding lookup, RMSNorm, attention over the KV cache, the SwiGLU feed-forward, the LM head),
/// each traced under llama.cpp's names. An architecture unit (<see cref="IArchitecture"/>) derives from it and writes
/// <see cref="Forward"/> in its own graph order, as llama.cpp's <c>src/models/&lt;arch&gt;.cpp</c> builds on
/// <c>llm_graph_context</c>. Locals keep llama.cpp's names (<c>inpL</c>, <c>cur</c>, <c>il</c>) so the two read side
/// by side. The protected virtual members are the graph's inputs and seams (positions, the mask, the GQA mapping, the
/// trace point), where an architecture, or a test's unit, differs.
/// </summary>
public abstract partial class Transformer : IDisposable
{
    /// <summary>llama.cpp pads the KV cells an attention reads to a multiple of this (the masked cells add nothing).</summary>
    public const int KvPadding = 256;

    /// <summary>
    /// ggml-cpu's flash attention splits one token's cells over the threads from this many padded cells on (with K and
    /// V both F16 or both F32), which changes the summation order.
    /// </summary>
    public const int SplitKvCells = 512;

    private readonly GgufFile _file;
    private readonly MatMul _matmul;

    // The attention call in flight, read by the per-head parts (set before the pool runs them).
    private readonly Action<int> _kqPart;
    private readonly Action<int> _softmaxPart;
    private readonly Action<int> _kqvPart;
    private readonly Action<int> _flashPart;
    private readonly GatedActivation _swiGlu;
    private int _attIl;
    private int _attN;
    private int _attPos0;

    // A quantized cache: the Walsh-Hadamard size applied to Q and K, or to V (0: none), the cache types' rows of the
    // type table, one V row's blocks, and one row of dequantized K per worker for the f32 numerics.
    private readonly int _keyRotation;
    private readonly int _valueRotation;
    private readonly GgmlTypeTraits _keyType;
    private readonly GgmlTypeTraits _valueType;
    private readonly byte[] _valueBlocks;
    // Q in the K type's vec_dot_type blocks (one row per head and token) before kq against a quantized K cache, by the library's from_float.
    private readonly QuantizedActivations? _queryBlocks;
    private readonly int _queryBlockValues;
    private readonly float[][] _keyRows;
    // A BF16 V without flash attention: per worker, one V column and the probabilities over the padded cells.
    private readonly float[][] _valueColumns;
    private readonly float[][] _valueProbabilities;

    // Flash attention: per worker, the row accumulator and, for ggml's split-KV path, one chunk's accumulator; for its
    // tiled path, one tile's scores and one K tile stored transposed ([head_dim][KvTile]).
    private readonly float[][] _flashRows;
    private readonly float[][] _flashChunks;
    private readonly float[][] _flashTiles;
    private readonly float[][] _keyTiles;
    private bool _tiled;

    // ggml numerics: the library variant whose attention dots, softmax and SwiGLU the engine follows; null in f32 numerics.
    private readonly VariantKernels? _ggml;

    // A quantized K cache in ggml numerics: the library's vec_dot of the cached keys with the query blocks, for a batch
    // (where tinyBLAS sums as vec_dot does) and for one token or flash attention (the avx library's pair dot differs).
    private readonly VecDotKernel? _keyDot;
    private readonly VecDotKernel? _keyDotOneToken;

    protected Transformer(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        _file = file;
        Config = config;
        Weights = weights;
        Options = options;
        State = new ModelState(config, options);
        var types = options.TypeTable;
        _keyType = types[options.KvCache.Ggml()];
        _valueType = types[options.ValueType.Ggml()];
        _queryBlocks = options.QuantizedKeys ? types[_keyType.VecDotType!.Value].FromFloat!() : null;
        _queryBlockValues = options.QuantizedKeys ? GgmlTypeInfo.Get(_keyType.VecDotType!.Value).BlockSize : 0;
        _matmul = new MatMul(options.Threads, Math.Max(config.NFf, Math.Max(config.NEmbd, config.NEmbdQ)), options.Numerics == NumericsMode.Ggml, types, options.Repack, weights.TokenEmbd.Address, weights.Matrices());
        _ggml = options.Numerics == NumericsMode.Ggml ? types.Kernels : null;
        _keyDot = _ggml is not null && options.QuantizedKeys ? _keyType.VecDot ?? throw KeyDotMissing(options) : null;
        _keyDotOneToken = _ggml is not null && options.QuantizedKeys ? _keyType.VecDotOneToken ?? _keyType.VecDot : null;
        Names = new TraceNames(config.NLayer);
        _kqPart = KqPart;
        _softmaxPart = SoftmaxPart;
        _kqvPart = KqvPart;
        _flashPart = part =>
        {
            KqPart(part);
            FlashRows(part);
        };
        _swiGlu = (gate, up, act) => SwiGlu.Apply(gate, up, act, Config.NFf, _ggml);
        _keyRotation = options.QuantizedKeys ? WalshHadamard.RotationSize(config.HeadDim) : 0;
        _valueRotation = options.QuantizedValues ? WalshHadamard.RotationSize(config.HeadDim) : 0;
        _valueBlocks = new byte[options.QuantizedValues ? options.ValueType.RowBytes(config.NEmbdKv) : 0];
        _keyRows = [.. Enumerable.Range(0, options.Threads).Select(_ => new float[config.HeadDim])];
        var bf16Values = options.ValueType == KvCacheType.BF16 && !options.FlashAttention;
        _valueColumns = [.. Enumerable.Range(0, options.Threads).Select(_ => new float[bf16Values ? State.ContextSize : 0])];
        _valueProbabilities = [.. Enumerable.Range(0, options.Threads).Select(_ => new float[bf16Values ? State.ContextSize : 0])];
        _flashRows = [.. Enumerable.Range(0, options.Threads).Select(_ => new float[config.HeadDim])];
        _flashChunks = [.. Enumerable.Range(0, options.Threads).Select(_ => new float[config.HeadDim])];
        _flashTiles = [.. Enumerable.Range(0, options.Threads).Select(_ => new float[TiledFlashAttention.KvTile])];
        _keyTiles = [.. Enumerable.Range(0, options.Threads).Select(_ => new float[config.HeadDim * TiledFlashAttention.KvTile])];
        _queryBlocks?.Prepare(options.MaxBatch * config.NHead, config.HeadDim);
    }

    /// <summary>A K cache type whose product the loaded library variant's table has no kernel for, refused by name.</summary>
    private static NotSupportedException KeyDotMissing(EngineOptions options) =>
        new($"a {options.KvCache.ToString().ToLowerInvariant()} K cache: the engine has no {options.KvCache} product in the order of llama.cpp's {options.Variant.Name()} library");

    public ModelConfig Config { get; }

    public ModelWeights Weights { get; }

    public EngineOptions Options { get; }

    public ModelState State { get; }

    public string Path => _file.Path;

    /// <summary>Bytes allocated on the engine's worker threads so far (a diagnostic for the no-allocation tests).</summary>
    internal long WorkerAllocatedBytes => _matmul.WorkerAllocatedBytes;

    /// <summary>llama.cpp's per-layer intermediate names, formatted once.</summary>
    protected TraceNames Names { get; }

    protected MatMul MatMul => _matmul;

    /// <summary>The loaded library variant's kernels in ggml numerics (softmax and SwiGLU chunks, exp); null in f32 numerics.</summary>
    protected VariantKernels? GgmlKernels => _ggml;

    /// <summary>
    /// Loads the model at <paramref name="path"/> through the unit <see cref="EngineOptions.Architectures"/> holds for
    /// its <c>general.architecture</c>; an architecture, tensor or hyperparameter the engine does not implement is
    /// refused by name (<see cref="UnsupportedModelException"/>), never run some other way.
    /// </summary>
    public static Transformer Load(string path, EngineOptions? options = null)
    {
        options ??= EngineOptions.Default;
        var file = GgufFile.Open(path);
        try
        {
            var unit = options.Architectures.For(file);
            var config = unit.ReadConfig(file);
            return unit.Create(file, config, unit.LoadWeights(file, config, options.TypeTable), options);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks, without allocating the state, that the engine implements the model at <paramref name="path"/>: its
    /// architecture, hyperparameters and every tensor (names, shapes, types). Throws what <see cref="Load"/> would.
    /// </summary>
    public static ModelConfig Check(string path, ArchitectureRegistry? architectures = null)
    {
        using var file = GgufFile.Open(path);
        var unit = (architectures ?? ArchitectureRegistry.BuiltIn).For(file);
        var config = unit.ReadConfig(file);
        _ = unit.LoadWeights(file, config, GgmlTypeTable.Default);
        return config;
    }

    /// <summary>Forgets the KV cache: the next <see cref="Forward"/> starts at position 0.</summary>
    public void Reset() => State.Past = 0;

    /// <summary>
    /// Forgets positions <paramref name="past"/> and later: the next <see cref="Forward"/> starts at
    /// <paramref name="past"/>, over the cache's first <paramref name="past"/> positions as they were computed (as
    /// llama.cpp's <c>llama_memory_seq_rm</c> from that position on).
    /// </summary>
    public void Truncate(int past)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(past);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(past, State.Past);
        State.Past = past;
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions <c>Past .. Past + n - 1</c> through the model, appending their keys
    /// and values to the cache, and returns the logits of every token, [n][n_vocab] — or, with
    /// <paramref name="allLogits"/> false, of the last token only (the LM head then runs for one row, as llama.cpp's
    /// graph does when only the last output is requested).
    /// </summary>
    public abstract ReadOnlySpan<float> Forward(ReadOnlySpan<int> tokens, ITensorSink? sink = null, bool allLogits = true);

    /// <summary>Checks the batch against the buffers and the context, fills <see cref="ModelState.Positions"/>, returns pos0.</summary>
    protected int BeginBatch(ReadOnlySpan<int> tokens)
    {
        var n = tokens.Length;
        var pos0 = State.Past;
        if (n == 0 || n > Options.MaxBatch)
        {
            throw new ArgumentException($"a forward pass takes 1..{Options.MaxBatch} tokens, got {n}", nameof(tokens));
        }

        if (pos0 + n > State.ContextSize)
        {
            throw new ArgumentException($"positions up to {pos0 + n} exceed the context of {State.ContextSize}", nameof(tokens));
        }

        FillPositions(State.Positions.AsSpan(0, n), pos0);
        return pos0;
    }

    /// <summary>The batch's positions (llama.cpp's <c>inp_pos</c>): consecutive from the cache's end.</summary>
    protected virtual void FillPositions(Span<int> positions, int pos0)
    {
        for (var t = 0; t < positions.Length; t++)
        {
            positions[t] = pos0 + t;
        }
    }

    /// <summary>Token embeddings (<c>GET_ROWS</c> of <c>token_embd</c>), traced as <c>embd</c>.</summary>
    protected void Embed(ReadOnlySpan<int> tokens, Span<float> inpL, ITensorSink? sink)
    {
        MatMul.GetRows(Weights.TokenEmbd, tokens, inpL);
        Trace(sink, "embd", "GET_ROWS", inpL, Config.NEmbd, tokens.Length);
    }

    /// <summary>The output norm and LM head for the last <paramref name="rows"/> rows of <paramref name="inpL"/>.</summary>
    protected Span<float> Output(ReadOnlySpan<float> inpL, int n, int rows, ITensorSink? sink)
    {
        var E = Config.NEmbd;
        var cur = State.Cur.AsSpan(0, rows * E);
        Norm(inpL.Slice((n - rows) * E, rows * E), Weights.OutputNorm, cur, rows, OutputNormName, "result_norm", sink);
        var logits = State.Logits.AsSpan(0, rows * Config.NVocab);
        MatMul.Compute(Weights.Output, cur, rows, logits);
        FinishLogits(logits, rows, sink);
        return logits;
    }

    /// <summary>
    /// The output RMSNorm's trace name, <c>norm</c>; null leaves it untraced (a graph whose bare <c>norm</c> names also
    /// label per-layer nodes, so a dump cannot tell which is the output's).
    /// </summary>
    protected virtual string? OutputNormName => "norm";

    /// <summary>What follows the LM head's matmul, traced as <c>result_output</c>: nothing but the trace in llama's graph.</summary>
    protected virtual void FinishLogits(Span<float> logits, int rows, ITensorSink? sink) =>
        Trace(sink, "result_output", "MUL_MAT", logits, Config.NVocab, rows);

    /// <summary>
    /// Q, K, V projections (each with its bias when the layer has one, its per-head norm when it has one), RoPE, then
    /// <see cref="Attend"/>.
    /// </summary>
    protected void Attention(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, int pos0, ITensorSink? sink)
    {
        var c = Config;
        var s = State;
        int Eq = c.NEmbdQ, Ekv = c.NEmbdKv, hd = c.HeadDim;
        var q = s.Q.AsSpan(0, n * Eq);
        var k = s.K.AsSpan(0, n * Ekv);
        var v = s.V.AsSpan(0, n * Ekv);

        MatMul.Compute(layer.Wq, cur, n, q);
        Trace(sink, Names.Qcur[il], "MUL_MAT", q, Eq, n);
        AddBias(q, layer.Bq, n, Names.Qcur[il], sink);
        Trace(sink, Names.Qcur[il], "RESHAPE", q, hd, c.NHead, n);
        HeadNorm(q, layer.AttnQNorm, c.NHead, n, Names.Norm[il], Names.QcurNormed[il], sink);
        Rope(q, c.NHead, n);
        Trace(sink, Names.Qcur[il], "ROPE", q, hd, c.NHead, n);

        MatMul.Compute(layer.Wv, cur, n, v);
        Trace(sink, Names.Vcur[il], "MUL_MAT", v, Ekv, n);
        AddBias(v, layer.Bv, n, Names.Vcur[il], sink);
        Trace(sink, Names.Vcur[il], "RESHAPE", v, hd, c.NHeadKv, n);

        MatMul.Compute(layer.Wk, cur, n, k);
        Trace(sink, Names.Kcur[il], "MUL_MAT", k, Ekv, n);
        AddBias(k, layer.Bk, n, Names.Kcur[il], sink);
        Trace(sink, Names.Kcur[il], "RESHAPE", k, hd, c.NHeadKv, n);
        HeadNorm(k, layer.AttnKNorm, c.NHeadKv, n, Names.Norm[il], Names.KcurNormed[il], sink);
        Rope(k, c.NHeadKv, n);
        Trace(sink, Names.Kcur[il], "ROPE", k, hd, c.NHeadKv, n);
        Attend(il, layer, n, pos0, sink);
    }

    /// <summary>
    /// Attention on the batch's roped Q, K and V in <see cref="ModelState"/>: the KV cache write, scaled causal
    /// attention per head, and the output projection into <see cref="ModelState.AttnOut"/>, which the architecture
    /// traces under its own name (llama names it <c>attn_out</c>; qwen2, qwen3 and phi3 leave it unnamed).
    /// </summary>
    protected void Attend(int il, LayerWeights layer, int n, int pos0, ITensorSink? sink)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var c = Config;
        var s = State;
        int E = c.NEmbd, Eq = c.NEmbdQ, Ekv = c.NEmbdKv, hd = c.HeadDim;
        var q = s.Q.AsSpan(0, n * Eq);
        var k = s.K.AsSpan(0, n * Ekv);
        var v = s.V.AsSpan(0, n * Ekv);

        _tiled = TakesTiledPath(n);

        // A quantized cache: llama.cpp rotates Q and K (a quantized K), V (a quantized V) after RoPE (unnamed nodes in
        // its graph) so the blocks see no outlier channels; kq and P·V are unchanged in exact arithmetic.
        if (_keyRotation > 0)
        {
            WalshHadamard.Rotate(q, _keyRotation);
            WalshHadamard.Rotate(k, _keyRotation);
        }

        if (_valueRotation > 0)
        {
            WalshHadamard.Rotate(v, _valueRotation);
        }

        WriteKeys(il, k, n, pos0);
        WriteValues(il, v, n, pos0);

        // ggml's matmuls convert the other operand to the cache type's vec_dot_type: Q to F16 (BF16) before kq against
        // an F16 (BF16) cache, to the K type's Q8_0 or Q8_1 blocks (one row per head and token) against a quantized one;
        // the softmax probabilities to F16 before kqv against F16 values.
        if (Options.AttendedKeyType == KvCacheType.F16 && !_tiled)
        {
            RoundToHalf(q);
        }
        else if (Options.AttendedKeyType == KvCacheType.BF16)
        {
            ActivationRounding.Bf16(q, q);
        }
        else if (_queryBlocks is not null && Options.Numerics == NumericsMode.Ggml)
        {
            _queryBlocks.Prepare(n * c.NHead, hd);
            _queryBlocks.QuantizeBlocks(q, 0, n * c.NHead * hd / _queryBlockValues);
        }

        (_attIl, _attN, _attPos0) = (il, n, pos0);
        var kqvOut = s.KqvOut.AsSpan(0, n * Eq);
        if (Options.FlashAttention)
        {
            FlashAttend(il, kqvOut, sink);
        }
        else
        {
            SoftmaxAttend(il, kqvOut, sink);
        }

        // Rotated values give a rotated output: llama.cpp rotates it back (the transform is its own inverse) after kqv_out.
        if (_valueRotation > 0)
        {
            WalshHadamard.Rotate(kqvOut, _valueRotation);
        }

        _matmul.Compute(layer.Wo, kqvOut, n, s.AttnOut.AsSpan(0, n * E));
    }

    /// <summary>
    /// The K cache write, one token's n_embd_kv values per row as llama.cpp's SET_ROWS converts them: quantized to
    /// the type's blocks with its <c>from_float</c>, rounded to half precision for F16 (bfloat16 for BF16), kept for F32.
    /// </summary>
    private void WriteKeys(int il, ReadOnlySpan<float> k, int n, int pos0)
    {
        var ekv = Config.NEmbdKv;
        if (Options.QuantizedKeys)
        {
            var rowBytes = ModelState.KeyRowBytes(Options.KvCache, ekv);
            for (var t = 0; t < n; t++)
            {
                _keyType.QuantizeRow!(k.Slice(t * ekv, ekv), State.KeyBlocks[il].AsSpan((pos0 + t) * rowBytes, rowBytes));
            }

            return;
        }

        var kCache = State.KeyCache[il].AsSpan(pos0 * ekv, n * ekv);
        k.CopyTo(kCache);
        RoundToCacheType(Options.AttendedKeyType, kCache);
    }

    /// <summary>Float cache values as the type holds them: rounded to half for F16, to bfloat16 for BF16 (<c>ggml_cpu_fp32_to_bf16</c>).</summary>
    private static void RoundToCacheType(KvCacheType type, Span<float> values)
    {
        if (type == KvCacheType.F16)
        {
            RoundToHalf(values);
        }
        else if (type == KvCacheType.BF16)
        {
            ActivationRounding.Bf16(values, values);
        }
    }

    /// <summary>
    /// The V cache write: rounded to half precision for F16 (bfloat16 for BF16); for a quantized V each row quantized as
    /// llama.cpp stores it and kept as its dequantized values (<c>to_float</c>, all that flash attention reads of it); F32 kept.
    /// </summary>
    private void WriteValues(int il, ReadOnlySpan<float> v, int n, int pos0)
    {
        var ekv = Config.NEmbdKv;
        var vCache = State.ValueCache[il].AsSpan(pos0 * ekv, n * ekv);
        v.CopyTo(vCache);
        if (!Options.QuantizedValues)
        {
            RoundToCacheType(Options.AttendedValueType, vCache);
            return;
        }

        for (var t = 0; t < n; t++)
        {
            var row = vCache.Slice(t * ekv, ekv);
            _valueType.QuantizeRow!(row, _valueBlocks);
            _valueType.ToFloat!(_valueBlocks, row);
        }
    }

    /// <summary>
    /// Attention without flash attention, ggml's three nodes: scores kq[h][t][j] = K_j . Q_t (unscaled, as ggml's kq),
    /// the softmax with scale and causal mask, then P V; each phase runs its heads on the worker pool, and the traces
    /// (and teacher forcing) sit between phases. The heads are then merged side by side (CONT).
    /// </summary>
    private void SoftmaxAttend(int il, Span<float> kqvOut, ITensorSink? sink)
    {
        var c = Config;
        int n = _attN, nKv = _attPos0 + _attN, hd = c.HeadDim, Eq = c.NEmbdQ;
        var kq = State.Kq.AsSpan(0, c.NHead * n * nKv);
        var kqv = State.Kqv.AsSpan(0, c.NHead * n * hd);
        _matmul.Pool.Run(_kqPart);
        Trace(sink, Names.Kq[il], "MUL_MAT", kq, nKv, n, c.NHead);
        ShapeScores(il, kq, n, nKv, sink);
        _matmul.Pool.Run(_softmaxPart);
        Trace(sink, Names.KqSoftMax[il], "SOFT_MAX", kq, nKv, n, c.NHead);
        _matmul.Pool.Run(_kqvPart);
        Trace(sink, Names.Kqv[il], "MUL_MAT", kqv, hd, n, c.NHead);

        // heads back side by side: kqv_out[t][h * hd + d]
        for (var h = 0; h < c.NHead; h++)
        {
            for (var t = 0; t < n; t++)
            {
                kqv.Slice(((h * n) + t) * hd, hd).CopyTo(kqvOut.Slice((t * Eq) + (h * hd), hd));
            }
        }

        Trace(sink, Names.KqvOut[il], "CONT", kqvOut, Eq, n);
    }

    /// <summary>
    /// Flash attention, ggml's one <c>FLASH_ATTN_EXT</c> node (unnamed in llama.cpp's graph) written straight into the
    /// merged heads, which llama.cpp names <c>kqv_out</c> (a RESHAPE of the node: the same values). The scores are each
    /// cell's <c>vec_dot</c> of the cached key with Q converted to the K type's vec_dot type (never tinyBLAS), or on
    /// ggml's tiled path the float GEMM of the F32 query with the widened keys (<see cref="KqTiled"/>), then each query
    /// row's online softmax (<see cref="FlashRows"/>). Both split the heads the same way (<see cref="Heads"/>) and
    /// nothing is traced between them, so each part runs its heads' scores and rows in one job: one hand-off to the
    /// workers per layer instead of two.
    /// </summary>
    private void FlashAttend(int il, Span<float> kqvOut, ITensorSink? sink)
    {
        _matmul.Pool.Run(_flashPart);
        Trace(sink, Names.KqvOut[il], "RESHAPE", kqvOut, Config.NEmbdQ, _attN);
    }

    /// <summary>
    /// Ops on the scores between kq and the softmax, [n_kv, n_tokens, n_head] (Gemma 2's soft-capping); none in
    /// llama's graph.
    /// </summary>
    protected virtual void ShapeScores(int il, Span<float> kq, int n, int nKv, ITensorSink? sink)
    {
    }

    /// <summary>A projection's bias added to every token's row (<c>ggml_add</c> broadcast), traced as an ADD of the same name.</summary>
    private void AddBias(Span<float> x, float[]? bias, int n, string name, ITensorSink? sink)
    {
        if (bias is null)
        {
            return;
        }

        var width = bias.Length;
        for (var t = 0; t < n; t++)
        {
            var row = x.Slice(t * width, width);
            TensorPrimitives.Add(row, bias, row);
        }

        Trace(sink, name, "ADD", x, width, n);
    }

    /// <summary>Heads [h0, h1) of this part: the heads split evenly over the pool's parts.</summary>
    private (int H0, int H1) Heads(int part)
    {
        var heads = Config.NHead;
        var chunk = (heads + _matmul.Threads - 1) / _matmul.Threads;
        var h0 = Math.Min(heads, part * chunk);
        return (h0, Math.Min(heads, h0 + chunk));
    }

    /// <summary>The KV head that query head <paramref name="h"/> reads (grouped-query attention).</summary>
    protected virtual int KvHead(int h) => h / Config.Group;

    /// <summary>
    /// Cache cells query token <paramref name="t"/> of the batch attends (the causal mask, llama.cpp's
    /// <c>kq_mask</c>): cells 0 .. pos0 + t.
    /// </summary>
    protected virtual int VisibleCells(int pos0, int t, int nKv) => pos0 + t + 1;

    /// <summary>
    /// The first cache cell query token <paramref name="t"/> attends in layer <paramref name="il"/>: 0, or where a
    /// sliding window starts (cells before it are masked as those past <see cref="VisibleCells"/> are).
    /// </summary>
    protected virtual int FirstVisibleCell(int il, int pos0, int t) => 0;

    /// <summary>RoPE of every token of the batch in place, at <see cref="ModelState.Positions"/>, with the file's frequency factors.</summary>
    protected void Rope(Span<float> x, int heads, int n) => Rope(x, heads, n, Config.RopeFreqBase, Config.RopeFreqScale);

    /// <summary>RoPE at another base and scale (a sliding layer's), otherwise as <see cref="Rope(Span{float}, int, int)"/>.</summary>
    protected void Rope(Span<float> x, int heads, int n, float freqBase, float freqScale)
    {
        var c = Config;
        var width = heads * c.HeadDim;
        var factors = Weights.RopeFreqs is { } f ? f : ReadOnlySpan<float>.Empty;
        for (var t = 0; t < n; t++)
        {
            Kernels.Rope.Apply(x.Slice(t * width, width), heads, c.HeadDim, c.NRot, State.Positions[t], freqBase, freqScale, c.RopeMode, factors, State.RopeScratch, _ggml?.ContractsScalarCode ?? true);
        }
    }

    /// <summary>kq for this part's heads: each row of scores from the (F16-rounded) query and the cached keys.</summary>
    private void KqPart(int part)
    {
        var (h0, h1) = Heads(part);
        if (Options.QuantizedKeys)
        {
            KqQuantized(part, h0, h1);
            return;
        }

        if (_tiled)
        {
            KqTiled(part, h0, h1);
            return;
        }

        var c = Config;
        var s = State;
        int Eq = c.NEmbdQ, Ekv = c.NEmbdKv, hd = c.HeadDim, n = _attN, nKv = _attPos0 + _attN;
        var keyType = Options.AttendedKeyType;
        var ggml = _ggml;
        var tinyBlas = ggml is not null && n > 1 && ggml.TinyBlasAccepts(hd) && !Options.FlashAttention
            && (keyType != KvCacheType.BF16 || ggml.TinyBlasBf16);
        var q = s.Q.AsSpan(0, n * Eq);
        var kq = s.Kq.AsSpan(0, c.NHead * n * nKv);
        var kCache = s.KeyCache[_attIl].AsSpan(0, nKv * Ekv);
        for (var h = h0; h < h1; h++)
        {
            var kvh = KvHead(h);
            for (var t = 0; t < n; t++)
            {
                var qh = q.Slice((t * Eq) + (h * hd), hd);
                var row = kq.Slice(((h * n) + t) * nKv, nKv);
                // vec_dot_f16 for one token and in flash attention: all of the head's cells in one call.
                if (ggml is not null && keyType == KvCacheType.F16 && !tinyBlas)
                {
                    ggml.DotsF16(kCache[(kvh * hd)..], Ekv, qh, row);
                    continue;
                }

                for (var j = 0; j < nKv; j++)
                {
                    var kj = kCache.Slice((j * Ekv) + (kvh * hd), hd);

                    // ggml numerics: llama.cpp's own order (tinyBLAS for a batch, vec_dot_bf16/f32 for one token and
                    // in flash attention; F16 took the call above unless tinyBLAS). tinyBLAS refuses a head_dim its
                    // lanes do not divide. An F32 cache never reaches tinyBLAS for kq: q is a permuted view and needs
                    // no conversion, so llamafile_sgemm is never tried and every token takes vec_dot_f32.
                    row[j] = ggml is null ? TensorPrimitives.Dot(kj, qh)
                        : keyType == KvCacheType.F32 ? ggml.DotF32(kj, qh)
                        : tinyBlas ? ggml.TinyBlas(kj, 1, qh, hd)
                        : ggml.DotBf16(kj, qh);
                }
            }
        }
    }

    /// <summary>
    /// Whether ggml-cpu computes this layer's attention over a batch of <paramref name="n"/> tokens on its tiled flash
    /// attention path (<see cref="TiledFlashAttention"/>): flash attention in ggml numerics, a batch of at least
    /// <see cref="TiledFlashAttention.QueryTile"/> tokens, K and V read as the same type, F16 or F32, and a head size its
    /// float vectors divide (<c>DV % GGML_F32_EPR == 0</c>).
    /// </summary>
    private bool TakesTiledPath(int n) =>
        Options.FlashAttention && _ggml is { } ggml && n >= TiledFlashAttention.QueryTile
        && Options.AttendedKeyType == Options.AttendedValueType && Options.AttendedKeyType is KvCacheType.F16 or KvCacheType.F32
        && Config.HeadDim % ggml.Variant.FloatLanes() == 0;

    /// <summary>Flash attention's kernel for one query row (ggml's one-chunk path), a seam for a unit or a test to replace.</summary>
    protected virtual FlashAttention.RowKernel FlashRow => FlashAttention.Row;

    /// <summary>Flash attention's kernel for one query row on ggml's tiled path, a seam for a unit or a test to replace.</summary>
    protected virtual TiledFlashAttention.RowKernel TiledFlashRow => TiledFlashAttention.Row;

    /// <summary>A soft-cap on the attention scores inside flash attention (<c>cap · tanh(s / cap)</c>); 0 for none, as in llama's graph.</summary>
    protected virtual float AttentionSoftCap => 0;

    /// <summary>
    /// Flash attention's rows for this part's heads: each (head, token) row's online softmax over its attended cells
    /// (<see cref="FlashAttention"/>), written into <see cref="ModelState.KqvOut"/>. In ggml numerics a single token
    /// over at least 512 padded cells with K and V both F16 or both F32 takes ggml's split-KV path instead
    /// (<see cref="SplitKvRow"/>), and a batch ggml tiles its tiled path (<see cref="TiledFlashAttention"/>).
    /// </summary>
    private void FlashRows(int part)
    {
        var c = Config;
        var s = State;
        int Eq = c.NEmbdQ, Ekv = c.NEmbdKv, hd = c.HeadDim, n = _attN, pos0 = _attPos0, nKv = _attPos0 + _attN;
        var kq = s.Kq.AsSpan(0, c.NHead * n * nKv);
        var vCache = s.ValueCache[_attIl].AsSpan(0, nKv * Ekv);
        var kqvOut = s.KqvOut.AsSpan(0, n * Eq);
        var ggml = Options.Numerics == NumericsMode.Ggml;
        var halfValues = ggml && Options.AttendedValueType == KvCacheType.F16;
        var paddedCells = Math.Min(State.ContextSize, (nKv + KvPadding - 1) / KvPadding * KvPadding);
        var tiled = _tiled ? _ggml : null;
        var splitKv = ggml && n == 1 && Options.AttendedValueType == Options.AttendedKeyType && Options.AttendedKeyType is KvCacheType.F16 or KvCacheType.F32 && paddedCells >= SplitKvCells;
        var (h0, h1) = Heads(part);
        for (var h = h0; h < h1; h++)
        {
            var offset = KvHead(h) * hd;
            for (var t = 0; t < n; t++)
            {
                var dots = kq.Slice(((h * n) + t) * nKv, nKv);
                int first = FirstVisibleCell(_attIl, pos0, t), end = VisibleCells(pos0, t, nKv);
                var output = kqvOut.Slice((t * Eq) + (h * hd), hd);
                if (tiled is not null)
                {
                    TiledFlashRow(dots, first, end, c.AttentionScale, AttentionSoftCap, vCache, Ekv, offset, tiled, _flashTiles[part], _flashRows[part], output);
                }
                else if (splitKv)
                {
                    SplitKvRow(part, dots, first, end, paddedCells, vCache, offset, halfValues, output);
                }
                else
                {
                    FlashRow(dots, first, end, c.AttentionScale, AttentionSoftCap, vCache, Ekv, offset, halfValues, _flashRows[part], output);
                }
            }
        }
    }

    /// <summary>
    /// ggml's split-KV flash attention for one token: the padded cells cut into one chunk per thread
    /// (<c>ceil(n_kv / n_threads)</c> cells each), each chunk's online softmax without the division, the chunks merged
    /// in order (<see cref="FlashAttention.MergeChunk"/>), then divided by the merged sum.
    /// </summary>
    private void SplitKvRow(int part, ReadOnlySpan<float> dots, int first, int end, int paddedCells, ReadOnlySpan<float> vCache, int offset, bool halfValues, Span<float> output)
    {
        var threads = Options.Threads;
        var chunkSize = (paddedCells + threads - 1) / threads;
        var final = _flashRows[part];
        var chunk = _flashChunks[part];
        final.AsSpan().Clear();
        float m = float.NegativeInfinity, sum = 0;
        for (var i = 0; i < threads && i * chunkSize < paddedCells; i++)
        {
            int from = Math.Max(first, i * chunkSize), to = Math.Min(end, (i + 1) * chunkSize);
            var (chunkMax, chunkSum) = FlashAttention.Accumulate(dots, from, Math.Max(from, to), Config.AttentionScale, AttentionSoftCap, vCache, Config.NEmbdKv, offset, halfValues, chunk);
            FlashAttention.MergeChunk(ref m, ref sum, final, chunkMax, chunkSum, chunk);
        }

        FlashAttention.Normalize(final, sum, output);
    }

    /// <summary>
    /// kq as ggml's tiled flash attention computes it: per head and tile of <see cref="TiledFlashAttention.KvTile"/>
    /// cells, the cached keys (half-precision values for an F16 cache) stored transposed as ggml packs its K tile, then
    /// each token's F32 query row against them (<see cref="TiledFlashAttention.Dots"/>, the query not rounded); tiles a
    /// token does not attend are left alone, as their cells are masked.
    /// </summary>
    private void KqTiled(int part, int h0, int h1)
    {
        const int Tile = TiledFlashAttention.KvTile;
        var c = Config;
        int Eq = c.NEmbdQ, Ekv = c.NEmbdKv, hd = c.HeadDim, n = _attN, pos0 = _attPos0, nKv = _attPos0 + _attN;
        var q = State.Q.AsSpan(0, n * Eq);
        var kq = State.Kq.AsSpan(0, c.NHead * n * nKv);
        var kCache = State.KeyCache[_attIl].AsSpan(0, nKv * Ekv);
        var keysT = _keyTiles[part];
        for (var h = h0; h < h1; h++)
        {
            var offset = KvHead(h) * hd;
            for (var start = 0; start < nKv; start += Tile)
            {
                var cells = Math.Min(Tile, nKv - start);
                for (var j = 0; j < cells; j++)
                {
                    var key = kCache.Slice(((start + j) * Ekv) + offset, hd);
                    for (var d = 0; d < hd; d++)
                    {
                        keysT[(d * Tile) + j] = key[d];
                    }
                }

                for (var t = 0; t < n; t++)
                {
                    if (start < VisibleCells(pos0, t, nKv) && start + cells > FirstVisibleCell(_attIl, pos0, t))
                    {
                        TiledFlashAttention.Dots(q.Slice((t * Eq) + (h * hd), hd), keysT, Tile, kq.Slice((((h * n) + t) * nKv) + start, cells));
                    }
                }
            }
        }
    }

    /// <summary>
    /// kq against a quantized K cache: the K type's <c>vec_dot</c> of each cached key head with the query head in its
    /// vec_dot_type's blocks (for a batch without flash attention, the table's <c>VecDot</c>, which sums as tinyBLAS
    /// does where it takes the type; for one token and in flash attention <c>VecDotOneToken</c> where the library's
    /// vec_dot sums otherwise); in f32 numerics, the dequantized key against the unquantized query.
    /// </summary>
    private void KqQuantized(int part, int h0, int h1)
    {
        var c = Config;
        int Eq = c.NEmbdQ, hd = c.HeadDim, n = _attN, nKv = _attPos0 + _attN;
        var kq = State.Kq.AsSpan(0, c.NHead * n * nKv);
        var q = State.Q.AsSpan(0, n * Eq);
        var keys = State.KeyBlocks[_attIl];
        var rowBytes = ModelState.KeyRowBytes(Options.KvCache, c.NEmbdKv);
        var headBytes = ModelState.KeyRowBytes(Options.KvCache, hd);
        var keyRow = _keyRows[part];

        // llama.cpp takes vec_dot for one token and for every row of flash attention, tinyBLAS for a batch of kq.
        var keyDot = n == 1 || Options.FlashAttention ? _keyDotOneToken : _keyDot;
        for (var h = h0; h < h1; h++)
        {
            var kvh = KvHead(h);
            for (var t = 0; t < n; t++)
            {
                var row = kq.Slice(((h * n) + t) * nKv, nKv);
                var qRow = (t * c.NHead) + h;
                for (var j = 0; j < nKv; j++)
                {
                    var key = keys.AsSpan((j * rowBytes) + (kvh * headBytes), headBytes);
                    if (keyDot is not null)
                    {
                        keyDot(key, headBytes, _queryBlocks!.Row(qRow, hd), row.Slice(j, 1));
                    }
                    else
                    {
                        _keyType.Dequantize(key, keyRow);
                        row[j] = TensorPrimitives.Dot(keyRow, q.Slice((t * Eq) + (h * hd), hd));
                    }
                }
            }
        }
    }

    /// <summary>The masked, scaled softmax of this part's heads, in place.</summary>
    private void SoftmaxPart(int part)
    {
        var c = Config;
        int n = _attN, pos0 = _attPos0, nKv = _attPos0 + _attN;
        var kq = State.Kq.AsSpan(0, c.NHead * n * nKv);
        var scale = c.AttentionScale;
        var (h0, h1) = Heads(part);
        for (var h = h0; h < h1; h++)
        {
            for (var t = 0; t < n; t++)
            {
                var row = kq.Slice(((h * n) + t) * nKv, nKv);
                Softmax.MaskedRow(row, scale, FirstVisibleCell(_attIl, pos0, t), VisibleCells(pos0, t, nKv), row, _ggml);
            }
        }
    }

    /// <summary>kqv for this part's heads: the probabilities (rounded to F16 with an F16 cache) times the cached values.</summary>
    private void KqvPart(int part)
    {
        var c = Config;
        var s = State;
        int Ekv = c.NEmbdKv, hd = c.HeadDim, n = _attN, pos0 = _attPos0, nKv = _attPos0 + _attN;
        var kq = s.Kq.AsSpan(0, c.NHead * n * nKv);
        var kqv = s.Kqv.AsSpan(0, c.NHead * n * hd);
        var vCache = s.ValueCache[_attIl].AsSpan(0, nKv * Ekv);
        var (h0, h1) = Heads(part);
        // ggml converts the probabilities to the V type's vec_dot_type: F16 or BF16 (an F32 V takes them as they are).
        RoundToCacheType(Options.AttendedValueType, kq[(h0 * n * nKv)..(h1 * n * nKv)]);
        var bf16 = Options.AttendedValueType == KvCacheType.BF16;
        var tinyBlas = n > 1 && _ggml is { TinyBlasLanes: > 0 } g && (!bf16 || g.TinyBlasBf16);
        for (var h = h0; h < h1; h++)
        {
            var kvh = KvHead(h);
            for (var t = 0; t < n; t++)
            {
                var p = kq.Slice(((h * n) + t) * nKv, nKv);
                var o = kqv.Slice(((h * n) + t) * hd, hd);
                if (_ggml is { } ggml)
                {
                    // kqv[d] = Σ_j V[j][d]·P[j] over the attended cells, in llama.cpp's order (V read with stride Ekv);
                    // llama.cpp pads the cells to 256, which every variant's tinyBLAS lanes divide.
                    for (var d = 0; d < hd; d++)
                    {
                        var column = vCache[((kvh * hd) + d)..];
                        o[d] = tinyBlas ? ggml.TinyBlas(column, Ekv, p, pos0 + t + 1)
                            : bf16 ? Bf16ValueDot(part, column, p, pos0 + t + 1)
                            : ggml.VecDotF16Padded(column, Ekv, p, pos0 + t + 1);
                    }

                    continue;
                }

                o.Clear();
                for (var j = 0; j <= pos0 + t; j++)
                {
                    TensorPrimitives.MultiplyAdd(vCache.Slice((j * Ekv) + (kvh * hd), hd), p[j], o, o);
                }
            }
        }
    }

    /// <summary>
    /// <c>ggml_vec_dot_bf16</c> of a BF16 V column (stride n_embd_kv) with the probabilities over the padded cells, as
    /// llama.cpp computes kqv for one token (or a batch where its library has no BF16 tinyBLAS): its lanes and double
    /// sums depend on the length, so the column and the probabilities are laid out over all padded cells, the cells
    /// past <paramref name="cells"/> zero (masked probabilities, cells never written).
    /// </summary>
    private float Bf16ValueDot(int part, ReadOnlySpan<float> column, ReadOnlySpan<float> p, int cells)
    {
        var padded = Math.Min(State.ContextSize, (_attPos0 + _attN + KvPadding - 1) / KvPadding * KvPadding);
        var values = _valueColumns[part].AsSpan(0, padded);
        var probabilities = _valueProbabilities[part].AsSpan(0, padded);
        values.Clear();
        probabilities.Clear();
        for (var j = 0; j < cells; j++)
        {
            values[j] = column[j * Config.NEmbdKv];
        }

        p[..cells].CopyTo(probabilities);
        return _ggml!.DotBf16(values, probabilities);
    }

    /// <summary>RMSNorm of every token, then the weight multiply: two nodes in llama.cpp's graph, traced as such (the RMSNorm not when <paramref name="normName"/> is null).</summary>
    protected void Norm(ReadOnlySpan<float> x, float[] weight, Span<float> cur, int n, string? normName, string mulName, ITensorSink? sink)
    {
        var E = Config.NEmbd;
        for (var t = 0; t < n; t++)
        {
            RmsNorm.Normalize(x.Slice(t * E, E), Config.RmsEps, cur.Slice(t * E, E));
        }

        if (normName is not null)
        {
            Trace(sink, normName, "RMS_NORM", cur, E, n);
        }

        for (var t = 0; t < n; t++)
        {
            RmsNorm.MultiplyByWeight(cur.Slice(t * E, E), weight, cur.Slice(t * E, E));
        }

        Trace(sink, mulName, "MUL", cur, E, n);
    }

    /// <summary>
    /// RMSNorm of every head of every token over head_dim, then the head weight (Qwen3's Q and K norms): the same two
    /// nodes as <see cref="Norm"/>, on [head_dim, heads, n_tokens]. Nothing when the layer has no such weight.
    /// </summary>
    protected void HeadNorm(Span<float> x, float[]? weight, int heads, int n, string normName, string mulName, ITensorSink? sink)
    {
        if (weight is null)
        {
            return;
        }

        var hd = Config.HeadDim;
        for (var r = 0; r < heads * n; r++)
        {
            RmsNorm.Normalize(x.Slice(r * hd, hd), Config.RmsEps, x.Slice(r * hd, hd));
        }

        Trace(sink, normName, "RMS_NORM", x, hd, heads, n);
        for (var r = 0; r < heads * n; r++)
        {
            RmsNorm.MultiplyByWeight(x.Slice(r * hd, hd), weight, x.Slice(r * hd, hd));
        }

        Trace(sink, mulName, "MUL", x, hd, heads, n);
    }

    /// <summary>A gated activation of the FFN: <c>act(gate) * up</c> over whole rows of n_ff values.</summary>
    protected delegate void GatedActivation(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> destination);

    /// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
    protected void FeedForward(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, ITensorSink? sink) =>
        GatedFeedForward(il, layer, cur, n, sink, _swiGlu, Names.FfnSwiglu[il], "SWIGLU");

    /// <summary>
    /// A gated feed-forward: gate and up projections, <paramref name="activation"/> (one fused op in llama.cpp's graph,
    /// traced as <paramref name="name"/>, <paramref name="op"/>), the down projection into <see cref="ModelState.FfnOut"/>.
    /// </summary>
    protected void GatedFeedForward(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, ITensorSink? sink, GatedActivation activation, string name, string op)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(activation);
        var c = Config;
        var s = State;
        var gate = s.Gate.AsSpan(0, n * c.NFf);
        var up = s.Up.AsSpan(0, n * c.NFf);
        var act = s.SwiGlu.AsSpan(0, n * c.NFf);
        MatMul.Compute(layer.FfnGate, cur, n, gate);
        Trace(sink, Names.FfnGate[il], "MUL_MAT", gate, c.NFf, n);
        MatMul.Compute(layer.FfnUp, cur, n, up);
        Trace(sink, Names.FfnUp[il], "MUL_MAT", up, c.NFf, n);
        activation(gate, up, act);
        Trace(sink, name, op, act, c.NFf, n);
        _matmul.Compute(layer.FfnDown, act, n, s.FfnOut.AsSpan(0, n * c.NEmbd));
        Trace(sink, Names.FfnOut[il], "MUL_MAT", s.FfnOut.AsSpan(0, n * c.NEmbd), c.NEmbd, n);
    }

    private static void RoundToHalf(Span<float> values) => HalfRounding.Round(values, values);

    /// <summary>
    /// One named intermediate, as llama.cpp's <c>cb(cur, name, il)</c>: handed to the sink, which may put the
    /// reference's values in its place (teacher forcing), so every later op runs on them.
    /// </summary>
    protected virtual void Trace(ITensorSink? sink, string name, string op, Span<float> data, long ne0, long ne1, long ne2 = 1)
    {
        if (sink is null || !sink.Wants(name))
        {
            return;
        }

        Span<long> ne = [ne0, ne1, ne2, 1];
        var values = data[..(int)(ne0 * ne1 * ne2)];
        sink.Tensor(name, op, values, ne);
        sink.Replace(name, op, values, ne);
    }

    /// <summary>An integer intermediate (expert indices), handed to the sink as <see cref="Trace"/> hands floats.</summary>
    protected static void TraceIndices(ITensorSink? sink, string name, string op, Span<int> data, long ne0, long ne1)
    {
        if (sink is null || !sink.Wants(name))
        {
            return;
        }

        Span<long> ne = [ne0, ne1, 1, 1];
        var values = data[..(int)(ne0 * ne1)];
        sink.Indices(name, op, values, ne);
        sink.ReplaceIndices(name, op, values, ne);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _matmul.Dispose();
            _file.Dispose();
        }
    }
}
