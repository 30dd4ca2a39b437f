using Parity.Engine.Kernels;
using Parity.Gguf;

namespace Parity.Engine.Model;

/// <summary>
/// All weights of a model: matrices stay in the memory map in their GGUF type; the small norm vectors are
/// dequantized once into float arrays.
/// </summary>
public sealed class LlamaWeights
{
    private LlamaWeights(WeightMatrix tokenEmbd, LayerWeights[] layers, float[] outputNorm, WeightMatrix output)
    {
        TokenEmbd = tokenEmbd;
        Layers = layers;
        OutputNorm = outputNorm;
        Output = output;
    }

    public WeightMatrix TokenEmbd { get; }                // [n_embd, n_vocab]

    public IReadOnlyList<LayerWeights> Layers { get; }

    public float[] OutputNorm { get; }                    // [n_embd]

    /// <summary>The LM head: <c>output.weight</c>, or the token embeddings when the file ties them.</summary>
    public WeightMatrix Output { get; }                   // [n_embd, n_vocab]

    /// <param name="types">The types the engine reads (default: <see cref="GgmlTypeTable.Default"/>).</param>
    public static LlamaWeights Load(GgufFile file, LlamaConfig config, GgmlTypeTable? types = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(config);
        types ??= GgmlTypeTable.Default;

        WeightMatrix Matrix(string name, int cols, int rows)
        {
            var t = file.GetTensor(name);
            if (t.RowLength != cols || t.RowCount != rows)
            {
                throw new InvalidDataException($"{file.Path}: tensor '{name}' has shape {t.ShapeString}, expected [{cols}, {rows}]");
            }

            if (!types.TryGet(t.Type, out var traits) || !traits.IsWeightType)
            {
                throw new NotSupportedException($"{file.Path}: tensor '{name}' has type {t.Type}, which the engine does not support");
            }

            return new WeightMatrix(file, t);
        }

        float[] Vector(string name, int length)
        {
            var t = file.GetTensor(name);
            if (t.ElementCount != length)
            {
                throw new InvalidDataException($"{file.Path}: tensor '{name}' has shape {t.ShapeString}, expected [{length}]");
            }

            var values = new float[length];
            if (!types.TryGet(t.Type, out var traits) || !traits.IsWeightType)
            {
                throw new NotSupportedException($"{file.Path}: tensor '{name}' has type {t.Type}, which the engine does not support");
            }

            traits.Dequantize(file.GetTensorBytes(t), values);
            return values;
        }

        var layers = new LayerWeights[config.NLayer];
        for (var il = 0; il < config.NLayer; il++)
        {
            var p = $"blk.{il}.";
            layers[il] = new LayerWeights
            {
                AttnNorm = Vector(p + "attn_norm.weight", config.NEmbd),
                Wq = Matrix(p + "attn_q.weight", config.NEmbd, config.NEmbd),
                Wk = Matrix(p + "attn_k.weight", config.NEmbd, config.NEmbdKv),
                Wv = Matrix(p + "attn_v.weight", config.NEmbd, config.NEmbdKv),
                Wo = Matrix(p + "attn_output.weight", config.NEmbd, config.NEmbd),
                FfnNorm = Vector(p + "ffn_norm.weight", config.NEmbd),
                FfnGate = Matrix(p + "ffn_gate.weight", config.NEmbd, config.NFf),
                FfnUp = Matrix(p + "ffn_up.weight", config.NEmbd, config.NFf),
                FfnDown = Matrix(p + "ffn_down.weight", config.NFf, config.NEmbd),
            };
        }

        var embd = Matrix("token_embd.weight", config.NEmbd, config.NVocab);
        var output = file.TryGetTensor("output.weight", out _) ? Matrix("output.weight", config.NEmbd, config.NVocab) : embd;
        return new LlamaWeights(embd, layers, Vector("output_norm.weight", config.NEmbd), output);
    }
}
