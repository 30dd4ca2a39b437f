namespace Parity.Harness.Bisect;

/// <summary>
/// Which tensors an op of llama.cpp's llama graph reads, by key (<c>Qcur-0#2</c> is RoPE of <c>Qcur-0#1</c>), so a
/// verdict can say whether an op's inputs already disagreed. The residual adds' second input is the previous layer's
/// output (<c>embd</c> before layer 0).
/// </summary>
public static class OpInputs
{
    public static IReadOnlyList<string> For(string key, int nLayer)
    {
        ArgumentNullException.ThrowIfNull(key);
        var (name, occurrence) = Split(key);
        var dash = name.LastIndexOf('-');
        if (dash < 0 || !int.TryParse(name[(dash + 1)..], out var il))
        {
            return name switch
            {
                "norm" => [$"l_out-{nLayer - 1}"],
                "result_norm" => ["norm"],
                "result_output" => ["result_norm"],
                _ => [],
            };
        }

        var stem = name[..dash];
        string L(string s) => $"{s}-{il}";
        string K(string s, int occ) => occ == 0 ? L(s) : $"{L(s)}#{occ}";
        var layerInput = il == 0 ? "embd" : $"l_out-{il - 1}";
        return (stem, occurrence) switch
        {
            ("norm", 0) => [layerInput],
            ("norm", _) => [L("ffn_inp")],
            ("attn_norm", _) => [L("norm")],
            ("Qcur" or "Kcur" or "Vcur", 0) => [L("attn_norm")],
            ("Qcur" or "Kcur" or "Vcur", _) => [K(stem, occurrence - 1)],
            ("kq", _) => [K("Qcur", 2), K("Kcur", 2)],
            ("kq_soft_max", _) => [L("kq")],
            ("kqv", _) => [L("kq_soft_max"), K("Vcur", 1)],
            ("kqv_out", _) => [L("kqv")],
            ("attn_out", _) => [L("kqv_out")],
            ("ffn_inp", _) => [L("attn_out"), layerInput],
            ("ffn_norm", _) => [K("norm", 1)],
            ("ffn_gate" or "ffn_up", _) => [L("ffn_norm")],
            ("ffn_swiglu", _) => [L("ffn_gate"), L("ffn_up")],
            ("ffn_out", _) => [L("ffn_swiglu")],
            ("l_out", _) => [L("ffn_out"), L("ffn_inp")],
            _ => [],
        };
    }

    /// <summary>A readable name for a ggml op.</summary>
    public static string Describe(string op) => op switch
    {
        "ROPE" => "RoPE",
        "RMS_NORM" => "RMSNorm",
        "MUL" => "norm weight multiply",
        "SOFT_MAX" => "softmax (scale and causal mask)",
        "MUL_MAT" => "matmul",
        "SWIGLU" => "SwiGLU",
        "ADD" => "residual add",
        "GET_ROWS" => "embedding lookup",
        "CONT" => "head merge",
        "RESHAPE" => "reshape",
        _ => op,
    };

    private static (string Name, int Occurrence) Split(string key)
    {
        var hash = key.LastIndexOf('#');
        return hash > 0 && int.TryParse(key[(hash + 1)..], out var occ) ? (key[..hash], occ) : (key, 0);
    }
}
