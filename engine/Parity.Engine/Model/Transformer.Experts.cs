using Parity.Engine.Kernels;
using Parity.Engine.Tracing;

namespace Parity.Engine.Model;

/// <summary>The mixture-of-experts FFN every MoE architecture shares (llama.cpp's <c>build_moe_ffn</c>, softmax gating).</summary>
public abstract partial class Transformer
{
    // ggml_clamp's lower bound on the sum of the chosen experts' probabilities before they are normalised.
    private const float MinWeightSum = 6.103515625e-5f;

    private ExpertBuffers? _experts;

    /// <summary>
    /// Routes every token to its top <c>expert_used_count</c> experts and sums their SwiGLU outputs, weighted, into
    /// <see cref="ModelState.FfnOut"/>: router logits, softmax, argsort (llama.cpp's order, ties included), the chosen
    /// probabilities normalised to sum 1, each chosen expert's gate, up and down projections (<c>MUL_MAT_ID</c>: one
    /// token's row against one expert, as ggml's vec_dot), weighted, and added in slot order.
    /// </summary>
    protected void ExpertFeedForward(int il, LayerWeights layer, ReadOnlySpan<float> cur, int n, ITensorSink? sink)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var moe = layer.Experts ?? throw new InvalidOperationException($"layer {il} has no experts");
        var b = _experts ??= new ExpertBuffers(Options.MaxBatch, Config);
        var k = Config.ExpertUsedCount;
        var selected = Route(il, moe, cur, n, b, sink);
        var weights = Weigh(il, n, b, selected, sink);
        var F = Config.NFfExp;
        var gate = b.Gate.AsSpan(0, n * k * F);
        var up = b.Up.AsSpan(0, n * k * F);
        Project(moe.Gate, cur, Config.NEmbd, 1, selected, gate, F);
        Trace(sink, Names.MoeGate[il], "MUL_MAT_ID", gate, F, k, n);
        Project(moe.Up, cur, Config.NEmbd, 1, selected, up, F);
        Trace(sink, Names.MoeUp[il], "MUL_MAT_ID", up, F, k, n);
        var act = b.Act.AsSpan(0, n * k * F);
        SwiGlu.Apply(gate, up, act, F, GgmlKernels);
        Trace(sink, Names.MoeSwiglu[il], "SWIGLU", act, F, k, n);
        Combine(il, moe, n, b, selected, weights, act, sink);
    }

    /// <summary>Router logits, their softmax, llama.cpp's descending argsort and its first k: the chosen experts.</summary>
    private Span<int> Route(int il, ExpertWeights moe, ReadOnlySpan<float> cur, int n, ExpertBuffers b, ITensorSink? sink)
    {
        int X = Config.ExpertCount, k = Config.ExpertUsedCount;
        var probs = b.Probs.AsSpan(0, n * X);
        MatMul.Compute(moe.Router, cur, n, probs);
        Trace(sink, Names.MoeLogits[il], "MUL_MAT", probs, X, n);
        for (var t = 0; t < n; t++)
        {
            var row = probs.Slice(t * X, X);
            Softmax.MaskedRow(row, 1.0f, X, row, GgmlKernels);
        }

        Trace(sink, Names.MoeProbs[il], "SOFT_MAX", probs, X, n);
        var order = b.Order.AsSpan(0, n * X);
        for (var t = 0; t < n; t++)
        {
            RankExperts(probs.Slice(t * X, X), order.Slice(t * X, X));
        }

        TraceIndices(sink, Names.MoeArgsort[il], "ARGSORT", order, X, n);
        var selected = b.Selected.AsSpan(0, n * k);
        for (var t = 0; t < n; t++)
        {
            order.Slice(t * X, k).CopyTo(selected.Slice(t * k, k));
        }

        TraceIndices(sink, Names.MoeTopk[il], "VIEW", selected, k, n);
        return selected;
    }

    /// <summary>One token's experts by probability, highest first, in ggml's argsort order (ties as its std::sort leaves them).</summary>
    protected virtual void RankExperts(ReadOnlySpan<float> probabilities, Span<int> order) => ArgSort.Descending(probabilities, order);

    /// <summary>The chosen experts' probabilities, normalised by their sum (in double, as ggml's sum_rows; clamped as llama.cpp).</summary>
    private Span<float> Weigh(int il, int n, ExpertBuffers b, ReadOnlySpan<int> selected, ITensorSink? sink)
    {
        int X = Config.ExpertCount, k = Config.ExpertUsedCount;
        var probs = b.Probs.AsSpan(0, n * X);
        var weights = b.Weights.AsSpan(0, n * k);
        for (var i = 0; i < n * k; i++)
        {
            weights[i] = probs[((i / k) * X) + selected[i]];
        }

        Trace(sink, Names.MoeWeights[il], "GET_ROWS", weights, 1, k, n);
        var sums = b.Sums.AsSpan(0, n);
        for (var t = 0; t < n; t++)
        {
            var sum = 0.0;
            foreach (var w in weights.Slice(t * k, k))
            {
                sum += w;
            }

            sums[t] = (float)sum;
        }

        Trace(sink, Names.MoeWeightsSum[il], "SUM_ROWS", sums, 1, n);
        for (var t = 0; t < n; t++)
        {
            // ggml_clamp(x, min, INFINITY) is MAX(MIN(x, INFINITY), min) with C's comparisons: NaN becomes INFINITY.
            var v = sums[t] < float.PositiveInfinity ? sums[t] : float.PositiveInfinity;
            sums[t] = v > MinWeightSum ? v : MinWeightSum;
        }

        Trace(sink, Names.MoeWeightsSumClamped[il], "CLAMP", sums, 1, n);
        for (var i = 0; i < n * k; i++)
        {
            weights[i] /= sums[i / k];
        }

        Trace(sink, Names.MoeWeightsNorm[il], "DIV", weights, k, n);
        return weights;
    }

    /// <summary>Down projections of the chosen experts, each scaled by its weight, then summed slot by slot into FfnOut.</summary>
    private void Combine(int il, ExpertWeights moe, int n, ExpertBuffers b, ReadOnlySpan<int> selected, ReadOnlySpan<float> weights, ReadOnlySpan<float> act, ITensorSink? sink)
    {
        int E = Config.NEmbd, k = Config.ExpertUsedCount;
        var down = b.Down.AsSpan(0, n * k * E);
        Project(moe.Down, act, Config.NFfExp, k, selected, down, E);
        Trace(sink, Names.MoeDown[il], "MUL_MAT_ID", down, E, k, n);
        for (var i = 0; i < n * k; i++)
        {
            var row = down.Slice(i * E, E);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, weights[i], row);
        }

        Trace(sink, Names.MoeWeighted[il], "MUL", down, E, k, n);
        var output = State.FfnOut.AsSpan(0, n * E);
        for (var t = 0; t < n; t++)
        {
            var o = output.Slice(t * E, E);
            down.Slice(t * k * E, E).CopyTo(o);
            for (var s = 1; s < k; s++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(o, down.Slice(((t * k) + s) * E, E), o);
            }
        }

        Trace(sink, Names.MoeOut[il], "ADD", output, E, n);
    }

    /// <summary>
    /// <c>MUL_MAT_ID</c>: for every token and slot, the chosen expert's matrix times the input row (the token's own row
    /// when <paramref name="inputsPerToken"/> is 1, else the slot's), one row at a time as ggml's vec_dot computes it.
    /// </summary>
    private void Project(IReadOnlyList<WeightMatrix> experts, ReadOnlySpan<float> input, int width, int inputsPerToken, ReadOnlySpan<int> selected, Span<float> output, int rows)
    {
        var k = Config.ExpertUsedCount;
        for (var i = 0; i < selected.Length; i++)
        {
            var row = inputsPerToken == 1 ? i / k : i;
            MatMul.Compute(experts[selected[i]], input.Slice(row * width, width), 1, output.Slice(i * rows, rows));
        }
    }

    /// <summary>The MoE intermediates of one batch, allocated on the first MoE layer.</summary>
    private sealed class ExpertBuffers(int maxBatch, ModelConfig c)
    {
        public float[] Probs { get; } = new float[maxBatch * c.ExpertCount];

        public int[] Order { get; } = new int[maxBatch * c.ExpertCount];

        public int[] Selected { get; } = new int[maxBatch * c.ExpertUsedCount];

        public float[] Weights { get; } = new float[maxBatch * c.ExpertUsedCount];

        public float[] Sums { get; } = new float[maxBatch];

        public float[] Gate { get; } = new float[maxBatch * c.ExpertUsedCount * c.NFfExp];

        public float[] Up { get; } = new float[maxBatch * c.ExpertUsedCount * c.NFfExp];

        public float[] Act { get; } = new float[maxBatch * c.ExpertUsedCount * c.NFfExp];

        public float[] Down { get; } = new float[maxBatch * c.ExpertUsedCount * c.NEmbd];
    }
}
