using System.Security.Cryptography;
using Parity.Gguf;

namespace Parity.Dump;

/// <summary>The model part of a dump manifest, read from the GGUF file both producers ran on.</summary>
public static class DumpModelInfoReader
{
    public static DumpModelInfo Read(string modelPath)
    {
        var full = Path.GetFullPath(modelPath);
        string sha;
        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
        {
            sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        using var file = GgufFile.Open(full);
        var h = LlamaHyperparameters.Read(file);
        return new DumpModelInfo
        {
            Path = full,
            Bytes = file.FileLength,
            Sha256 = sha,
            Architecture = h.Architecture,
            Hyperparameters = new DumpHyperparameters
            {
                NEmbd = h.EmbeddingLength,
                NLayer = h.BlockCount,
                NHead = h.HeadCount,
                NHeadKv = h.HeadCountKv,
                NFf = h.FeedForwardLength,
                NVocab = h.VocabSize,
                NCtxTrain = h.ContextLength,
                RopeFreqBase = h.RopeFreqBase,
                RopeDimensionCount = h.RopeDimensionCount,
                NEmbdHeadK = h.HeadDim,
                RmsEps = h.RmsEpsilon,
            },
            FileType = h.FileType?.ToString(),
            WeightTypes = file.Tensors.GroupBy(t => GgmlTypeInfo.Get(t.Type).GgmlName).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
        };
    }
}
