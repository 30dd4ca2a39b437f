using System.Text.RegularExpressions;
using Parity.Dump;
using Parity.Engine.Architectures;
using Parity.Engine.Generation;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Engine.Tracing;
using Parity.Harness.Bisect;
using Parity.Harness.Compare;
using Parity.Harness.Runner;

namespace Parity.Harness.Engine;

/// <summary>
/// The engine's side of <c>parity dump</c>: runs the prompt and greedy steps through <see cref="Transformer"/> with a
/// <see cref="DumpTensorSink"/>, writing the same run layout as the llama.cpp runner.
/// </summary>
public static class EngineDumper
{
    /// <summary>
    /// Throws, naming the option, when <paramref name="decode"/> asks for something the engine does not compute, so a
    /// comparison stops before it runs llama.cpp instead of reporting the missing feature as a parity failure.
    /// </summary>
    public static void CheckSupported(LlamaCppDecodeOptions decode)
    {
        ArgumentNullException.ThrowIfNull(decode);
        _ = KvCachesFor(decode);
    }

    /// <summary>
    /// Throws, naming it, when the model has an architecture, hyperparameter or tensor the engine does not implement
    /// (<see cref="UnsupportedModelException"/>), or a tensor of the wrong shape; called before llama.cpp runs.
    /// </summary>
    public static void CheckSupported(string modelPath) => _ = Transformer.Check(modelPath);

    /// <summary>
    /// The engine's cache for llama.cpp's <c>--cache-type-k</c>/<c>--cache-type-v</c> pair: the K type, and the V type
    /// when it is not the one the K type implies (<see cref="EngineOptions.ValueCache"/>). K and V are each one of the
    /// nine types llama.cpp offers on a CPU (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl). Without flash
    /// attention a quantized V is refused with llama.cpp's reason (V f32, f16 or bf16 goes with any K there, as in llama.cpp).
    /// </summary>
    public static (KvCacheType K, KvCacheType? V) KvCachesFor(LlamaCppDecodeOptions decode)
    {
        ArgumentNullException.ThrowIfNull(decode);
        var k = CacheType(decode.CacheTypeK, "--cache-type-k");
        var v = CacheType(decode.CacheTypeV, "--cache-type-v");
        if (v.IsQuantized() && !decode.FlashAttention)
        {
            throw new ArgumentException($"--cache-type-v {decode.CacheTypeV} without flash attention: llama.cpp refuses it (\"quantized V cache was requested, but this requires Flash Attention\"); add --flash-attn on");
        }

        var implied = k == KvCacheType.F32 ? KvCacheType.F32 : KvCacheType.F16;
        return (k, v == implied ? null : v);
    }

    /// <summary>
    /// Why the engine's ggml numerics cannot follow <paramref name="decode"/>'s K cache against <paramref name="variant"/>'s
    /// library (its type table has no product of that type in the library's order: IQ4_NL against avx and noavx), or null.
    /// </summary>
    public static string? KvCacheRefusal(GgmlVariant variant, LlamaCppDecodeOptions decode)
    {
        var (k, _) = KvCachesFor(decode);
        return k.IsQuantized() && GgmlTypeTable.For(variant)[k.Ggml()].VecDot is null
            ? $"--cache-type-k {CacheTypeName(k)} against llama.cpp's {variant.Name()} library: the engine has no {CacheTypeName(k)} product in that library's order"
            : null;
    }

    /// <summary>The engine's K cache type for a pair <see cref="KvCachesFor"/> accepts without flash attention.</summary>
    public static KvCacheType KvCacheFor(string typeK, string typeV) => KvCachesFor(new LlamaCppDecodeOptions { CacheTypeK = typeK, CacheTypeV = typeV }).K;

    /// <summary>llama.cpp's name of a cache type (<c>f16</c>, <c>q8_0</c>), as the manifest records it.</summary>
    public static string CacheTypeName(KvCacheType type) => type.ToString().ToLowerInvariant();

    private static KvCacheType CacheType(string name, string option) =>
        Enum.GetValues<KvCacheType>().Where(t => string.Equals(CacheTypeName(t), name, StringComparison.OrdinalIgnoreCase)).Cast<KvCacheType?>().FirstOrDefault()
            ?? throw new ArgumentException($"{option} {name}: expected one of the KV cache types llama.cpp offers on a CPU: {string.Join(", ", Enum.GetValues<KvCacheType>().Select(CacheTypeName))}");

    /// <summary>
    /// The manifest notes: the numerics mode, and in ggml numerics the exactness claim (every configuration the engine
    /// accepts is one it reproduces bit for bit against <see cref="GgmlTarget"/>'s commit with the variant it followed,
    /// except those <see cref="GgmlTarget.ConfigurationRefusal"/> names, which claim nothing).
    /// </summary>
    public static Dictionary<string, string> Notes(NumericsMode numerics, GgmlVariant variant = GgmlVariant.Avx512, string target = GgmlTarget.Commit, bool flashAttention = false)
    {
        var notes = new Dictionary<string, string> { ["numerics"] = numerics.ToString().ToLowerInvariant() };
        if (numerics == NumericsMode.Ggml && GgmlTarget.ConfigurationRefusal(variant, flashAttention, target) is null)
        {
            notes[DumpPairing.ExactForNote] = DumpPairing.Identity(new DumpProducer { Name = DumpProducer.LlamaCppName, Version = target, LibraryVariant = variant.Name() });
        }

        return notes;
    }

    /// <summary>
    /// The library variant the engine's ggml numerics follow against a reference dump: the reference's own where the
    /// engine reproduces it (the dump records which library the runner loaded), else the default.
    /// </summary>
    public static GgmlVariant VariantFor(DumpProducer reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return reference.Name == DumpProducer.LlamaCppName ? GgmlTarget.VariantFor(reference.Version, reference.LibraryVariant) : GgmlTarget.Variants[0];
    }

    /// <summary>The llama.cpp commit the engine's ggml numerics claim against a reference dump (<see cref="GgmlTarget.CommitFor"/>).</summary>
    public static string TargetFor(DumpProducer reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return reference.Name == DumpProducer.LlamaCppName ? GgmlTarget.CommitFor(reference.Version, reference.LibraryVariant) : GgmlTarget.Commit;
    }

    /// <param name="teacherTokens">
    /// When given, decode step s feeds <c>teacherTokens[s-1]</c> (the reference's greedy choice) instead of the engine's
    /// own, so both sides run the same tokens at every step and one near-tie cannot derail the comparison.
    /// </param>
    /// <param name="forceFrom">
    /// Teacher forcing at op level: a reference dump of the same tokens whose values replace the engine's for every
    /// tensor whose key <paramref name="force"/> selects (all when null), so each recorded tensor is one engine op on the
    /// reference's inputs. Decode steps then also feed the reference's greedy tokens.
    /// </param>
    /// <param name="architectures">The architecture units the engine picks from when <paramref name="options"/> is not given (the built-in ones when null).</param>
    /// <param name="types">The engine's type table when <paramref name="options"/> is not given (default: the built-in one of <paramref name="variant"/>).</param>
    /// <param name="variant">The library variant the ggml numerics follow when <paramref name="options"/> is not given (<see cref="VariantFor"/> the reference).</param>
    /// <param name="progress">Told each step dumped, as phase "engine dump".</param>
    public static DumpResult Dump(DumpRequest request, IReadOnlyList<int> tokens, EngineOptions? options = null, IReadOnlyList<int>? teacherTokens = null, NumericsMode numerics = NumericsMode.F32, DumpRun? forceFrom = null, Func<string, bool>? force = null, ArchitectureRegistry? architectures = null, GgmlTypeTable? types = null, GgmlVariant variant = GgmlVariant.Avx512, IProgress<WorkProgress>? progress = null, string target = GgmlTarget.Commit)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0)
        {
            throw new ArgumentException("the prompt has no tokens", nameof(tokens));
        }

        CheckSupported(request.Decode);
        // llama.cpp pads the context it is given to 256 cells; the engine sizes its cache the same way.
        var cells = request.Decode.ContextSize > 0 ? request.Decode.ContextSize : tokens.Count + request.Steps;
        var contextSize = Math.Max(256, (cells + 255) / 256 * 256);
        options ??= new EngineOptions
        {
            Threads = request.Decode.Threads,
            MaxBatch = tokens.Count,
            ContextSize = contextSize,
            KvCache = KvCachesFor(request.Decode).K,
            ValueCache = KvCachesFor(request.Decode).V,
            FlashAttention = request.Decode.FlashAttention,
            Numerics = numerics,
            Architectures = architectures ?? ArchitectureRegistry.BuiltIn,
            Variant = variant,
            Target = target,
            Types = types,
            Repack = request.Decode.Repack,
        };
        using var model = Transformer.Load(request.ModelPath, options);
        teacherTokens ??= forceFrom?.GeneratedTokens;
        var filter = request.Filter is null ? null : new Regex(request.Filter, RegexOptions.CultureInvariant);
        var info = new DumpRunInfo
        {
            Producer = new DumpProducer { Name = DumpProducer.EngineName, Version = typeof(Transformer).Assembly.GetName().Version?.ToString() ?? "0" },
            Notes = Notes(options.Numerics, options.Variant, options.Target, options.FlashAttention),
            Model = DumpModelInfoReader.Read(request.ModelPath),
            Prompt = new DumpPrompt { Text = request.Prompt, Tokens = [.. tokens] },
            Options = new DumpOptions
            {
                Threads = options.Threads,
                FlashAttention = options.FlashAttention,
                TypeK = CacheTypeName(options.KvCache),
                TypeV = CacheTypeName(options.ValueType),
                Repack = options.Repack,
                NCtx = options.ContextSize,
                NBatch = tokens.Count,
                Filter = request.Filter,
                OutputAll = true,
            },
        };

        using var writer = DumpRunWriter.Create(request.OutputDirectory, info);
        var generated = new List<int>();
        var vocab = model.Config.NVocab;
        progress?.Report(new WorkProgress("engine dump", 0, request.Steps + 1, "step"));
        for (var step = 0; step <= request.Steps; step++)
        {
            int[] stepTokens = step == 0 ? [.. tokens] : [teacherTokens is null ? generated[^1] : teacherTokens[step - 1]];
            var firstPosition = model.State.Past;
            using var stepWriter = writer.BeginStep(step);
            using var reference = forceFrom?.OpenStep(step);
            ITensorSink sink = reference is null
                ? new DumpTensorSink(stepWriter, filter is null ? null : filter.IsMatch)
                : new ForcingSink(stepWriter, reference, force ?? (_ => true), filter is null ? null : filter.IsMatch);
            var logits = model.Forward(stepTokens, sink);
            generated.Add(Sampler.ArgMax(logits[((stepTokens.Length - 1) * vocab)..(stepTokens.Length * vocab)]));
            stepWriter.Complete(stepTokens, [.. Enumerable.Range(firstPosition, stepTokens.Length)], [.. generated]);
            progress?.Report(new WorkProgress("engine dump", step + 1, request.Steps + 1, "step"));
        }

        writer.Complete(generated);
        return new DumpResult(writer.RunDirectory, [.. tokens], generated);
    }
}
