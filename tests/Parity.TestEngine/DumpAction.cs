using System.Security.Cryptography;
using Parity.Dump;

namespace Parity.TestEngine;

/// <summary>
/// The protocol's dump: the prompt as one batch (step 0), then <c>steps</c> single-token decode steps, each feeding the
/// teacher token when given or the greedy choice of the step before; every step written into a Parity dump.
/// </summary>
internal static class DumpAction
{
    public static void Run(ProtocolRequest request, EngineOptions engine)
    {
        var file = GgufFile.Read(request.Model!);
        var config = LlamaConfig.Read(file);
        if (request.Tokens.Concat(request.TeacherTokens ?? []).FirstOrDefault(t => t < 0 || t >= config.NVocab, -1) is var bad and >= 0)
        {
            throw new BadRequestException($"request {request.Path}: token {bad} is outside the model's vocabulary (0..{config.NVocab - 1})");
        }

        var options = request.Options!;
        var cache = new KvCache(config, request.ContextSize, CacheType(options.TypeK, "typeK"), CacheType(options.TypeV, "typeV"));
        if (options.FlashAttention)
        {
            throw new RefusedException($"request {request.Path}: options.flashAttention true; this engine does not implement flash attention (its fused op and F16 accumulation)");
        }

        if (!options.OutputAll)
        {
            throw new RefusedException($"request {request.Path}: options.outputAll false; this engine outputs every row");
        }

        if (options.Filter is { } filter)
        {
            throw new RefusedException($"request {request.Path}: options.filter '{filter}'; this engine writes every tensor");
        }

        var model = new Transformer(config, LlamaWeights.Load(file, config), cache, engine.RopePairingBug);
        var forcing = request.ForceFrom is { } forceFrom ? DumpRun.Open(forceFrom) : null;
        IReadOnlySet<string>? force = request.Force is { } keys ? keys.ToHashSet(StringComparer.Ordinal) : null;

        using var writer = DumpRunWriter.Create(request.Output!, RunInfo(request, file, config, engine));
        var generated = new List<int>();
        var (tokens, nPast) = (request.Tokens, 0);
        for (var step = 0; step <= request.Steps; step++)
        {
            if (step > 0)
            {
                (tokens, nPast) = ([request.TeacherTokens?[step - 1] ?? generated[^1]], nPast + tokens.Length);
            }

            using var stepWriter = writer.BeginStep(step);
            using var reference = ForcingStep(forcing, step, tokens);
            var logits = model.Forward(tokens, nPast, new Trace(stepWriter, reference, force));
            generated.Add(Kernels.ArgMax(logits.AsSpan((tokens.Length - 1) * config.NVocab, config.NVocab)));
            stepWriter.Complete(tokens, [.. Enumerable.Range(nPast, tokens.Length)], generated);
        }

        writer.Complete(generated);
    }

    /// <summary>The cache type llama.cpp runs with, if this engine keeps it: F16 or F32.</summary>
    private static KvCacheType CacheType(string type, string member) => type switch
    {
        "f16" => KvCacheType.F16,
        "f32" => KvCacheType.F32,
        _ => throw new RefusedException($"options.{member} '{type}': this engine keeps an f16 or f32 KV cache only"),
    };

    /// <summary>The forcing dump's step <paramref name="step"/>, which must have run the same tokens; null when it has no such step.</summary>
    private static DumpStep? ForcingStep(DumpRun? forcing, int step, int[] tokens)
    {
        var index = forcing?.StepNumbers.ToList().IndexOf(step) ?? -1;
        if (index < 0)
        {
            return null;
        }

        var opened = forcing!.OpenStep(index);
        if (!opened.Manifest.Tokens.SequenceEqual(tokens))
        {
            opened.Dispose();
            throw new BadRequestException($"forceFrom {forcing.Directory}: step {step} ran tokens [{string.Join(' ', opened.Manifest.Tokens)}], this step runs [{string.Join(' ', tokens)}]");
        }

        return opened;
    }

    private static DumpRunInfo RunInfo(ProtocolRequest request, GgufFile file, LlamaConfig c, EngineOptions engine) => new()
    {
        Producer = new DumpProducer { Name = EngineOptions.Name, Version = engine.Version },
        Model = new DumpModelInfo
        {
            Path = Path.GetFullPath(file.Path),
            Bytes = file.Bytes.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(file.Bytes)),
            Architecture = "llama",
            Hyperparameters = new DumpHyperparameters
            {
                NEmbd = c.NEmbd,
                NLayer = c.NLayer,
                NHead = c.NHead,
                NHeadKv = c.NHeadKv,
                NFf = c.NFf,
                NVocab = c.NVocab,
                NCtxTrain = c.NCtxTrain,
                RopeFreqBase = c.RopeFreqBase,
                RopeDimensionCount = c.RopeDims,
                NEmbdHeadK = c.HeadDim,
                RmsEps = c.RmsEps,
            },
            FileType = c.FileTypeName,
            WeightTypes = file.Tensors.Values.GroupBy(t => GgufFile.GgmlTypeName(t.Type)).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
        },
        Prompt = new DumpPrompt { Tokens = request.Tokens },

        // As the protocol asks: the reference's configuration, which this engine follows (its cache types) or refused.
        Options = request.Options!,
        Notes = new Dictionary<string, string>(StringComparer.Ordinal) { ["numerics"] = "f32" },
    };
}
