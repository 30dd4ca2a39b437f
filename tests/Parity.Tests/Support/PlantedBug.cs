using Parity.Engine.Architectures;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Engine.Tracing;
using Parity.Gguf;

namespace Parity.Tests.Support;

/// <summary>
/// A deliberate bug in a test-defined llama unit, so it flows through the forward pass exactly as a real one would:
/// a changed hyperparameter, swapped weights, a wrong graph input (positions, mask, GQA mapping), or an intermediate
/// rewritten where it is made. <see cref="Registry"/> is the built-in architectures with this unit in llama's place;
/// the product has no switch for any of it.
/// </summary>
public sealed record PlantedBug
{
    /// <summary>(tensor name, ggml op, data in ggml order, ne) → change data in place.</summary>
    public delegate void Mutation(string name, string op, Span<float> data, ReadOnlySpan<long> ne);

    public Func<ModelConfig, ModelConfig> Config { get; init; } = c => c;

    public Func<ModelWeights, ModelWeights> Weights { get; init; } = w => w;

    public Mutation? Mutate { get; init; }

    /// <summary>(query head, config) → the KV head it reads.</summary>
    public Func<int, ModelConfig, int>? KvHead { get; init; }

    /// <summary>(pos0, t, nKv) → the cells token t attends.</summary>
    public Func<int, int, int, int>? VisibleCells { get; init; }

    /// <summary>(config) → where Q, K and V start in each row of Phi-3's fused QKV output.</summary>
    public Func<ModelConfig, (int Q, int K, int V)>? QkvOffsets { get; init; }

    /// <summary>(one token's expert probabilities, order to fill) → the experts by rank, in place of ggml's argsort.</summary>
    public Action<float[], int[]>? RankExperts { get; init; }

    /// <summary>(layer, pos0, t, config) → the first cell token t attends (Gemma's sliding window).</summary>
    public Func<int, int, int, ModelConfig, int>? FirstVisibleCell { get; init; }

    /// <summary>Flash attention's row kernel in place of ggml's (<see cref="FlashAttention.Row"/>).</summary>
    public FlashAttention.RowKernel? FlashRow { get; init; }

    /// <summary>Flash attention's tiled row kernel in place of ggml's (<see cref="TiledFlashAttention.Row"/>).</summary>
    public TiledFlashAttention.RowKernel? TiledFlashRow { get; init; }

    /// <summary>(batch size, pos0) → the first position of the batch.</summary>
    public Func<int, int, int>? FirstPosition { get; init; }

    /// <summary>
    /// The architecture whose unit carries the bug. Graph-input and rewriting bugs need llama's graph; another family
    /// takes hyperparameter and weight bugs, applied around its built-in unit.
    /// </summary>
    public string Family { get; init; } = "llama";

    public ArchitectureRegistry Registry => ArchitectureRegistry.BuiltIn.With(Family == "llama" ? new Unit(this) : new FamilyUnit(this, Families[Family]));

    private static readonly Dictionary<string, IArchitecture> Families = new() { ["qwen2"] = new Qwen2Architecture(), ["qwen3"] = new Qwen3Architecture(), ["phi3"] = new Phi3Architecture(), ["qwen3moe"] = new Qwen3MoeArchitecture(), ["gemma2"] = new Gemma2Architecture(), ["gemma3"] = new Gemma3Architecture() };

    /// <summary>The classic porting bugs of the mutation suite, by name.</summary>
    public static PlantedBug Fault(string name) => name switch
    {
        "RopeNeoxPairing" => new() { Config = c => c with { RopeMode = RopeMode.Neox } },
        "RopeWrongFreqBase" => new() { Config = c => c with { RopeFreqBase = 500000f } },
        "RmsEpsTenTimes" => new() { Config = c => c with { RmsEps = c.RmsEps * 10 } },
        "GqaModuloMapping" => new() { KvHead = (h, c) => h % c.NHeadKv },
        "GateUpSwapped" => new() { Weights = w => w with { Layers = [.. w.Layers.Select(l => l with { FfnGate = l.FfnUp, FfnUp = l.FfnGate })] } },
        "SoftmaxScaleMissing" => new() { Config = c => c with { AttentionScale = 1.0f } },
        "DecodePositionOffByOne" => new() { FirstPosition = (n, pos0) => n == 1 && pos0 > 0 ? pos0 + 1 : pos0 },
        "LmHeadWrongMatrix" => new() { Weights = w => w with { Output = w.TokenEmbd } },
        "CausalMaskOffByOne" => new() { VisibleCells = (pos0, t, nKv) => Math.Min(nKv, pos0 + t + 2) },
        "Qwen2KeyBiasDropped" => new() { Family = "qwen2", Weights = w => w with { Layers = [.. w.Layers.Select(l => l with { Bk = new float[l.Bk!.Length] })] } },
        "Qwen3QueryNormSkipped" => new() { Family = "qwen3", Weights = w => w with { Layers = [.. w.Layers.Select(l => l with { AttnQNorm = null })] } },
        "Phi3QkvSplitOneHeadLate" => new() { Family = "phi3", QkvOffsets = c => (0, c.NEmbdQ + c.HeadDim, c.NEmbdQ + c.NEmbdKv) },
        "MoeTiesToTheLaterExpert" => new() { Family = "qwen3moe", RankExperts = RankTiesLate },
        "Gemma2FinalSoftcapMissing" => new() { Family = "gemma2", Config = c => c with { FinalLogitSoftcapping = 0 } },
        "FlashMaxNotRescaled" => new() { FlashRow = FlashRowMaxNotRescaled },
        "TiledMaxNotRescaled" => new() { TiledFlashRow = TiledRowMaxNotRescaled },
        "Gemma3WindowOffByOne" => new() { Family = "gemma3", FirstVisibleCell = (il, pos0, t, c) => c.IsSliding(il) ? Math.Max(0, pos0 + t - c.SlidingWindow) : 0 },
        _ => throw new ArgumentException($"no planted bug named '{name}'", nameof(name)),
    };

    /// <summary>A rewrite of intermediates only.</summary>
    public static PlantedBug Rewriting(Mutation mutation) => new() { Mutate = mutation };

    private sealed class Unit(PlantedBug bug) : LlamaArchitecture
    {
        public override ModelConfig ReadConfig(GgufFile file) => bug.Config(base.ReadConfig(file));

        public override ModelWeights LoadWeights(GgufFile file, ModelConfig config, GgmlTypeTable types) => bug.Weights(base.LoadWeights(file, config, types));

        public override Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options) =>
            new Graph(file, config, weights, options, bug);
    }

    private sealed class FamilyUnit(PlantedBug bug, IArchitecture inner) : IArchitecture
    {
        public string Name => inner.Name;

        public ModelConfig ReadConfig(GgufFile file) => bug.Config(inner.ReadConfig(file));

        public ModelWeights LoadWeights(GgufFile file, ModelConfig config, GgmlTypeTable types) => bug.Weights(inner.LoadWeights(file, config, types));

        public Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options)
        {
            if (bug.RankExperts is not null)
            {
                return new MoeGraph(file, config, weights, options, bug);
            }

            if (bug.QkvOffsets is not null)
            {
                return new Phi3Graph(file, config, weights, options, bug);
            }

            if (bug.FirstVisibleCell is not null)
            {
                return new GemmaGraph(file, config, weights, options, bug);
            }

            if (bug.Mutate is not null || bug.FlashRow is not null || bug.TiledFlashRow is not null || bug.KvHead is not null || bug.VisibleCells is not null || bug.FirstPosition is not null)
            {
                throw new InvalidOperationException($"a planted graph bug needs llama's graph, not {inner.Name}'s");
            }

            return inner.Create(file, config, weights, options);
        }
    }

    /// <summary>
    /// Flash attention's online softmax with a wrong running-maximum update: a new maximum replaces M, but the
    /// accumulator and the running sum are not rescaled by exp(M_old - M_new), so cells before it keep too much weight.
    /// </summary>
    private static void FlashRowMaxNotRescaled(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, bool halfAccumulator, Span<float> accumulator, Span<float> output)
    {
        var acc = accumulator[..output.Length];
        acc.Clear();
        float m = float.NegativeInfinity, sum = 0;
        for (var j = first; j < end; j++)
        {
            var s = dots[j] * scale;
            m = Math.Max(m, s);
            var p = MathF.Exp(s - m);
            for (var d = 0; d < acc.Length; d++)
            {
                acc[d] += values[(j * stride) + offset + d] * p;
            }

            sum += p;
        }

        for (var d = 0; d < output.Length; d++)
        {
            output[d] = acc[d] / sum;
        }
    }

    /// <summary>
    /// The tiled path's per-tile update with the same slip: each 64-cell tile's exponentials are taken against the
    /// running maximum including that tile, but the state carried from earlier tiles is not rescaled when it rises. A
    /// row within one tile has nothing to rescale and keeps ggml's kernel, so only rows past the first tile change.
    /// </summary>
    private static void TiledRowMaxNotRescaled(ReadOnlySpan<float> dots, int first, int end, float scale, float softCap, ReadOnlySpan<float> values, int stride, int offset, VariantKernels ggml, Span<float> tile, Span<float> accumulator, Span<float> output)
    {
        if (end <= TiledFlashAttention.KvTile)
        {
            TiledFlashAttention.Row(dots, first, end, scale, softCap, values, stride, offset, ggml, tile, accumulator, output);
            return;
        }

        var acc = accumulator[..output.Length];
        acc.Clear();
        float m = float.NegativeInfinity, sum = 0;
        for (var start = first - (first % TiledFlashAttention.KvTile); start < end; start += TiledFlashAttention.KvTile)
        {
            var cells = Math.Min(Math.Min(TiledFlashAttention.KvTile, end - start), dots.Length - start);
            for (var j = Math.Max(first, start); j < start + cells; j++)
            {
                m = Math.Max(m, dots[j] * scale);
            }

            for (var j = Math.Max(first, start); j < start + cells; j++)
            {
                var p = MathF.Exp((dots[j] * scale) - m);
                for (var d = 0; d < acc.Length; d++)
                {
                    acc[d] += values[(j * stride) + offset + d] * p;
                }

                sum += p;
            }
        }

        for (var d = 0; d < output.Length; d++)
        {
            output[d] = acc[d] / sum;
        }
    }

    /// <summary>A top-k that sorts by probability but, on a tie, ranks the later expert first (a stable sort the other way round).</summary>
    private static void RankTiesLate(float[] probabilities, int[] order)
    {
        var ranked = Enumerable.Range(0, probabilities.Length).OrderByDescending(e => probabilities[e]).ThenByDescending(e => e).ToArray();
        ranked.CopyTo(order, 0);
    }

    private sealed class MoeGraph(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options, PlantedBug bug)
        : MoeTransformer(file, config, weights, options)
    {
        protected override void RankExperts(ReadOnlySpan<float> probabilities, Span<int> order)
        {
            var ranked = new int[order.Length];
            bug.RankExperts!(probabilities.ToArray(), ranked);
            ranked.CopyTo(order);
        }
    }

    private sealed class Phi3Graph(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options, PlantedBug bug)
        : Phi3Transformer(file, config, weights, options)
    {
        protected override (int Q, int K, int V) QkvOffsets => bug.QkvOffsets!(Config);
    }

    private sealed class GemmaGraph(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options, PlantedBug bug)
        : GemmaTransformer(file, config, weights, options)
    {
        protected override int FirstVisibleCell(int il, int pos0, int t) => bug.FirstVisibleCell!(il, pos0, t, Config);
    }

    private sealed class Graph(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options, PlantedBug bug)
        : LlamaTransformer(file, config, weights, options)
    {
        protected override int KvHead(int h) => bug.KvHead?.Invoke(h, Config) ?? base.KvHead(h);

        protected override int VisibleCells(int pos0, int t, int nKv) => bug.VisibleCells?.Invoke(pos0, t, nKv) ?? base.VisibleCells(pos0, t, nKv);

        protected override FlashAttention.RowKernel FlashRow => bug.FlashRow ?? base.FlashRow;

        protected override TiledFlashAttention.RowKernel TiledFlashRow => bug.TiledFlashRow ?? base.TiledFlashRow;

        protected override void FillPositions(Span<int> positions, int pos0) =>
            base.FillPositions(positions, bug.FirstPosition?.Invoke(positions.Length, pos0) ?? pos0);

        protected override void Trace(ITensorSink? sink, string name, string op, Span<float> data, long ne0, long ne1, long ne2 = 1)
        {
            bug.Mutate?.Invoke(name, op, data[..(int)(ne0 * ne1 * ne2)], [ne0, ne1, ne2, 1]);
            base.Trace(sink, name, op, data, ne0, ne1, ne2);
        }
    }
}
