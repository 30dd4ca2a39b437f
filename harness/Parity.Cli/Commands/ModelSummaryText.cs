using System.Globalization;
using Parity.Harness.Models;

namespace Parity.Cli.Commands;

/// <summary>Renders a <see cref="ModelSummary"/> as aligned plain text (stable enough to grep in scripts).</summary>
public static class ModelSummaryText
{
    public static void Write(ModelSummary s, TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(w);
        var h = s.Hyperparameters;
        var v = s.Vocabulary;
        var inv = CultureInfo.InvariantCulture;
        void Row(string key, string value) => w.WriteLine($"{key,-14}{value}");

        Row("file", string.Create(inv, $"{s.Path} ({s.FileBytes:N0} bytes, GGUF v{s.GgufVersion}, alignment {s.Alignment}, {s.MetadataCount} metadata keys)"));
        if (s.Name is not null)
        {
            Row("name", s.Name);
        }

        Row("architecture", h.Architecture);
        Row("file type", h.FileType?.ToString() ?? "(not set)");
        Row("context", h.ContextLength.ToString(inv));
        Row("n_embd", h.EmbeddingLength.ToString(inv));
        Row("n_layer", h.BlockCount.ToString(inv));
        Row("n_ff", h.FeedForwardLength.ToString(inv));
        Row("n_head", h.HeadCount.ToString(inv));
        Row("n_head_kv", string.Create(inv, $"{h.HeadCountKv} (GQA {h.GqaGroup} query heads per KV head)"));
        Row("head_dim", h.HeadDim.ToString(inv));
        Row("rope", string.Create(inv, $"dims {h.RopeDimensionCount}, freq_base {h.RopeFreqBase}, freq_scale {h.RopeFreqScale}"));
        Row("rms_eps", h.RmsEpsilon.ToString("g6", inv));
        Row("vocab", string.Create(inv, $"{v.Model ?? "?"}{(v.Pre is null ? string.Empty : "/" + v.Pre)}, {h.VocabSize} tokens: {v.Normal} normal, {v.Control} control, {v.Byte} byte, {v.Unknown} unknown, {v.Other} other"));
        Row("special", string.Create(inv, $"bos {Show(v.BosId)}, eos {Show(v.EosId)}, unk {Show(v.UnknownId)}, add_bos {Show(v.AddBos)}, add_eos {Show(v.AddEos)}, chat template {(v.HasChatTemplate ? "yes" : "no")}"));
        Row("tensors", string.Create(inv, $"{s.TensorCount} ({s.TensorBytes:N0} bytes): ") + string.Join(", ", s.TensorTypes.Select(p => string.Create(inv, $"{Gguf.GgmlTypeInfo.Get(p.Key).GgmlName} x{p.Value}"))));
        Row("lm head", s.LmHead ?? "? (no graph descriptor for this architecture)");
    }

    private static string Show(long? id) => id?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Show(bool? b) => b is null ? "-" : b.Value ? "true" : "false";
}
